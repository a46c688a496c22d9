"""The ``agentcore`` provider: agents on Amazon Bedrock AgentCore Runtime."""
