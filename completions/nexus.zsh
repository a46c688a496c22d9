#compdef nexus

_nexus_completion() {
  eval $(env _TYPER_COMPLETE_ARGS="${words[1,$CURRENT]}" _NEXUS_COMPLETE=complete_zsh nexus)
}

compdef _nexus_completion nexus
