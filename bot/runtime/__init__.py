"""How the process runs: settings from the environment, the TOML file, JSON logs, the clock."""
