"""Use cases shared by the command line and the window: open a project, import,
suggest, decide, export, train. Functions take keyword-only arguments and return
summaries of what changed."""
