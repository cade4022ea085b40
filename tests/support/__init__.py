"""What only the tests share: fixtures' helpers for real GAZE servers on copies of test data."""
