"""The role-scoped governance tools: the one place answers are computed and scope is enforced."""
