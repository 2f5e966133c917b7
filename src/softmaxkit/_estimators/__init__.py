"""The softmax classifier and its training loop."""
