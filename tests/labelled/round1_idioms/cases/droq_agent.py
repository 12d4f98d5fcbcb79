"""DQN agent whose Q-network uses Dropout + LayerNorm (DroQ-style) on a discrete-action task.

Acting and greedy evaluation run the network in eval mode without autograd; every
learning step switches it back to training mode first. The target network is a frozen
eval-mode copy that is re-synchronised periodically.
"""
import copy
import random
from collections import deque

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class QNet(nn.Module):
    def __init__(self, obs_dim, n_actions, hidden=256, p=0.01):
        super().__init__()
        self.body = nn.Sequential(
            nn.Linear(obs_dim, hidden), nn.Dropout(p), nn.LayerNorm(hidden), nn.ReLU(),
            nn.Linear(hidden, hidden), nn.Dropout(p), nn.LayerNorm(hidden), nn.ReLU(),
        )
        self.q = nn.Linear(hidden, n_actions)

    def forward(self, obs):
        return self.q(self.body(obs))


class Agent:
    def __init__(self, obs_dim, n_actions, gamma=0.99, lr=3e-4, sync_every=1000):
        self.n_actions, self.gamma, self.sync_every = n_actions, gamma, sync_every
        self.online = QNet(obs_dim, n_actions)
        self.target = copy.deepcopy(self.online).eval()
        self.target.requires_grad_(False)
        self.opt = torch.optim.Adam(self.online.parameters(), lr=lr)
        self.buffer = deque(maxlen=100_000)
        self.updates = 0

    def act(self, obs, epsilon):
        if random.random() < epsilon:
            return random.randrange(self.n_actions)
        self.online.eval()
        with torch.no_grad():
            q = self.online(torch.as_tensor(obs, dtype=torch.float32).unsqueeze(0))
        return int(q.argmax(1).item())

    def learn(self, batch_size=128):
        if len(self.buffer) < batch_size:
            return None
        obs, act, rew, nxt, done = map(np.array, zip(*random.sample(self.buffer, batch_size)))
        obs, nxt = torch.as_tensor(obs, dtype=torch.float32), torch.as_tensor(nxt, dtype=torch.float32)
        act, rew = torch.as_tensor(act), torch.as_tensor(rew, dtype=torch.float32)
        done = torch.as_tensor(done, dtype=torch.float32)
        self.online.train()
        q = self.online(obs).gather(1, act[:, None]).squeeze(1)
        with torch.no_grad():
            target = rew + self.gamma * (1 - done) * self.target(nxt).max(1).values
        loss = F.smooth_l1_loss(q, target)
        self.opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(self.online.parameters(), 10.0)
        self.opt.step()
        self.updates += 1
        if self.updates % self.sync_every == 0:
            self.target.load_state_dict(self.online.state_dict())
        return loss.item()


def evaluate_policy(agent, env, episodes=10):
    returns = []
    for _ in range(episodes):
        obs, _ = env.reset()
        done, total = False, 0.0
        while not done:
            obs, r, term, trunc, _ = env.step(agent.act(obs, epsilon=0.0))
            total += r
            done = term or trunc
        returns.append(total)
    return float(np.mean(returns))


def run(env, eval_env, steps=200_000):
    agent = Agent(env.observation_space.shape[0], env.action_space.n)
    obs, _ = env.reset(seed=0)
    for t in range(steps):
        eps = max(0.05, 1.0 - t / 50_000)
        a = agent.act(obs, eps)
        nxt, r, term, trunc, _ = env.step(a)
        agent.buffer.append((obs, a, r, nxt, float(term)))
        obs = nxt if not (term or trunc) else env.reset()[0]
        agent.learn()
        if t % 10_000 == 0:
            print(f"step {t}: eval return {evaluate_policy(agent, eval_env):.1f}")
    return agent
