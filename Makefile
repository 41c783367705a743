# Convenience targets; the README's two commands are the reference.
.PHONY: demo test lint bench
demo:
	pip install 'torch==2.13.0' -e . && seld demo
test:
	pip install 'torch==2.13.0' -e '.[test]' && ruff check . && python -m pytest -q
lint:
	ruff check .
bench:
	seld bench --quick
