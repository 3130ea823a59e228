"""Prompt texts for the agent, one `<name>.txt` per prompt. Load them with agent.prompts.load_prompt.

A package (not a bare folder) so that importlib.resources finds the files both in a source
checkout and in an installed wheel (package data: `prompts = ["*.txt"]`).
"""
