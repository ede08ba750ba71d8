"""Tests of the local Slack (:mod:`bot.local_slack`) through the real slack_sdk client: the Web API
methods, the workspace it keeps and the faults it scripts."""
