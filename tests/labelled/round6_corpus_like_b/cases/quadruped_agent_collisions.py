"""Advantage-weighted regression agent for a quadruped walking task.

`Agent.train(...)` runs gradient updates and `Agent.eval(...)` runs evaluation episodes;
neither is an nn.Module method. The policy's own mode is set inside them.
"""
import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn


class GaussianPolicy(nn.Module):
    def __init__(self, obs_dim, act_dim, hidden=256):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(obs_dim, hidden), nn.LayerNorm(hidden), nn.ELU(), nn.Dropout(0.05),
                                  nn.Linear(hidden, hidden), nn.ELU())
        self.mu = nn.Linear(hidden, act_dim)
        self.log_std = nn.Parameter(torch.zeros(act_dim))

    def forward(self, obs):
        return torch.distributions.Normal(self.mu(self.body(obs)), self.log_std.exp())


class Agent:
    def __init__(self, env_id="Ant-v4", beta=1.0):
        self.env = gym.make(env_id)
        self.policy = GaussianPolicy(self.env.observation_space.shape[0], self.env.action_space.shape[0])
        self.opt = torch.optim.Adam(self.policy.parameters(), lr=3e-4)
        self.beta = beta

    def train(self, dataset, n_updates=1000, batch_size=256):
        self.policy.train()
        obs, act, adv = dataset
        for _ in range(n_updates):
            idx = torch.randint(0, len(obs), (batch_size,))
            weights = torch.exp(adv[idx] / self.beta).clamp(max=20.0)
            loss = -(weights * self.policy(obs[idx]).log_prob(act[idx]).sum(-1)).mean()
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
        return loss.item()

    def eval(self, episodes=10):
        self.policy.eval()
        returns = []
        for ep in range(episodes):
            obs, _ = self.env.reset(seed=ep)
            done, total = False, 0.0
            while not done:
                with torch.no_grad():
                    action = self.policy(torch.as_tensor(obs, dtype=torch.float32)).mean.numpy()
                obs, reward, terminated, truncated, _ = self.env.step(action)
                total += reward
                done = terminated or truncated
            returns.append(total)
        return float(np.mean(returns))


if __name__ == "__main__":
    data = torch.load("ant_offline_awr.pt")
    agent = Agent()
    for it in range(20):
        loss = agent.train(data)
        print(f"iter {it}: loss {loss:.3f} return {agent.eval(episodes=5):.1f}")
    print("final return", agent.eval(episodes=50))
