"""The AI gateway: model access for replicas on the platform endpoint.

``offline.py`` the built-in deterministic model; ``tokens.py`` token counting;
``openai_api.py`` and ``anthropic_api.py`` the two wire shapes; ``ledger.py``
what each invocation spent, read once by the invocation chain.
"""
