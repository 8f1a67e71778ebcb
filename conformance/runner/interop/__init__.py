"""The interop matrix (`tools/interop`): matrix (scenarios, cells) and
report (JSON, Markdown, HTML, the command line)."""
