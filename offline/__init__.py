"""The offline engine: render a stack in-process under Pulumi's mock engine, then plan, diff and judge it."""
