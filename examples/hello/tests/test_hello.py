"""The example's own tests: deployed on an emulator by Nexus's pytest plugin.

cd examples/hello && python -m pytest        # docs/testing.md
"""


def test_greets_the_caller(nexus_agent):
    assert nexus_agent.run("hi there", user_id="7") == "Hello user 7! Your message has 2 words."


def test_greets_anyone(nexus_agent):
    assert nexus_agent.run("hi") == "Hello there! Your message has 1 word."
