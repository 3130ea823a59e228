"""The conversation: the Bedrock LangGraph agent, the embedded offline planner, answers, grounding."""
