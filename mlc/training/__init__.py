"""Fine-tuning: options, the stage schedule and loop, losses, sampling, checkpoints, DDP, saving a run."""
