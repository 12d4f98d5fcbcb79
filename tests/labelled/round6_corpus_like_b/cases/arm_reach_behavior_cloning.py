"""Behaviour cloning for a 7-DoF reaching arm from teleoperation demos.

The policy is rolled out in simulation every --eval-every gradient steps.
"""
import argparse

import numpy as np
import torch
import torch.nn as nn

from reach_sim import ReachEnv  # thin wrapper around the MuJoCo scene


class MLPPolicy(nn.Module):
    def __init__(self, obs_dim, act_dim, hidden=256, p_drop=0.1):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(obs_dim, hidden), nn.LayerNorm(hidden), nn.Mish(), nn.Dropout(p_drop),
            nn.Linear(hidden, hidden), nn.LayerNorm(hidden), nn.Mish(), nn.Dropout(p_drop),
            nn.Linear(hidden, act_dim), nn.Tanh(),
        )

    def forward(self, obs):
        return self.net(obs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--demos", default="demos/reach_teleop.npz")
    ap.add_argument("--steps", type=int, default=20000)
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--eval-every", type=int, default=2000)
    ap.add_argument("--eval-episodes", type=int, default=20)
    ap.add_argument("--out", default="bc_policy.pt")
    args = ap.parse_args()

    demos = np.load(args.demos)
    obs = torch.from_numpy(demos["obs"]).float()
    act = torch.from_numpy(demos["actions"]).float()
    obs_mean, obs_std = obs.mean(0), obs.std(0) + 1e-6

    policy = MLPPolicy(obs.shape[1], act.shape[1])
    opt = torch.optim.Adam(policy.parameters(), lr=1e-3, weight_decay=1e-5)
    env = ReachEnv(seed=0)

    policy.train()
    for step in range(1, args.steps + 1):
        idx = torch.randint(0, len(obs), (args.batch_size,))
        pred = policy((obs[idx] - obs_mean) / obs_std)
        loss = nn.functional.mse_loss(pred, act[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()

        if step % args.eval_every == 0:
            policy.eval()
            successes = 0
            for _ in range(args.eval_episodes):
                o, done, info = env.reset(), False, {}
                while not done:
                    with torch.no_grad():
                        a = policy((torch.as_tensor(o, dtype=torch.float32) - obs_mean) / obs_std)
                    o, _, done, info = env.step(a.numpy())
                successes += int(info.get("success", False))
            print(f"step {step}: bc loss {loss.item():.4f} success {successes}/{args.eval_episodes}")

    torch.save({"state_dict": policy.state_dict(), "obs_mean": obs_mean, "obs_std": obs_std}, args.out)


if __name__ == "__main__":
    main()
