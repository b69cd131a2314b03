"""Retrospective tables recomputed from the gold set (`tables`: `harness retro`) and the
leaderboard of the recorded reviewers across reports (`leaderboard`)."""
