.PHONY: run test lint bench

# Install, migrate, load demo data if the database is empty, and serve on http://127.0.0.1:8000
run:
	bash scripts/run.sh

# Install what is needed and run every test (SQLite, PostgreSQL, real browser)
test:
	bash scripts/test.sh

lint:
	.venv/bin/ruff check app tests bench migrations

# Every benchmark (GIAS import, schools list against the raw baseline, load); see bench/README.md
bench:
	bash bench/run_all.sh
