"""PPO on CartPole with separate policy and value networks held by an Agent class."""
from dataclasses import dataclass

import gymnasium as gym
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Categorical


@dataclass
class PPOConfig:
    rollout_steps: int = 2048
    ppo_epochs: int = 10
    minibatch: int = 256
    gamma: float = 0.99
    clip: float = 0.2
    vf_coef: float = 0.5
    ent_coef: float = 0.01
    lr: float = 3e-4
    iterations: int = 100


class PolicyNet(nn.Module):
    def __init__(self, obs_dim, n_actions, hidden=64):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(obs_dim, hidden), nn.Tanh(), nn.Dropout(0.1), nn.Linear(hidden, n_actions))

    def forward(self, obs):
        return self.net(obs)


class ValueNet(nn.Module):
    def __init__(self, obs_dim, hidden=64):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(obs_dim, hidden), nn.LayerNorm(hidden), nn.Tanh(), nn.Dropout(0.1),
                                 nn.Linear(hidden, 1))

    def forward(self, obs):
        return self.net(obs).squeeze(-1)


class Agent:
    def __init__(self, obs_dim, n_actions, cfg: PPOConfig):
        self.cfg = cfg
        self.policy = PolicyNet(obs_dim, n_actions)
        self.value = ValueNet(obs_dim)
        self.opt = torch.optim.Adam(list(self.policy.parameters()) + list(self.value.parameters()), lr=cfg.lr)

    @torch.no_grad()
    def act(self, obs):
        self.policy.eval()
        self.value.eval()
        dist = Categorical(logits=self.policy(obs))
        action = dist.sample()
        return action, dist.log_prob(action), self.value(obs)

    def update(self, obs, actions, old_logp, returns, advantages):
        self.policy.train()
        for _ in range(self.cfg.ppo_epochs):
            for idx in torch.randperm(len(obs)).split(self.cfg.minibatch):
                dist = Categorical(logits=self.policy(obs[idx]))
                ratio = (dist.log_prob(actions[idx]) - old_logp[idx]).exp()
                adv = advantages[idx]
                pg_loss = -torch.min(ratio * adv, ratio.clamp(1 - self.cfg.clip, 1 + self.cfg.clip) * adv).mean()
                values = self.value(obs[idx])
                loss = pg_loss + self.cfg.vf_coef * F.mse_loss(values, returns[idx]) - self.cfg.ent_coef * dist.entropy().mean()
                self.opt.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(list(self.policy.parameters()) + list(self.value.parameters()), 0.5)
                self.opt.step()


def collect(env, agent, cfg, obs):
    buf = {k: [] for k in ("obs", "act", "logp", "val", "rew", "done")}
    for _ in range(cfg.rollout_steps):
        o = torch.as_tensor(obs, dtype=torch.float32)
        action, logp, value = agent.act(o.unsqueeze(0))
        obs, reward, terminated, truncated, _ = env.step(action.item())
        for k, v in zip(buf, (o, action[0], logp[0], value[0], reward, terminated or truncated)):
            buf[k].append(v)
        if terminated or truncated:
            obs, _ = env.reset()
    returns, running = [], 0.0
    for r, d in zip(reversed(buf["rew"]), reversed(buf["done"])):
        running = r + cfg.gamma * running * (1.0 - float(d))
        returns.append(running)
    returns = torch.tensor(returns[::-1], dtype=torch.float32)
    values = torch.stack(buf["val"])
    adv = returns - values
    adv = (adv - adv.mean()) / (adv.std() + 1e-8)
    return torch.stack(buf["obs"]), torch.stack(buf["act"]), torch.stack(buf["logp"]), returns, adv, obs


def main():
    cfg = PPOConfig()
    env = gym.make("CartPole-v1")
    agent = Agent(env.observation_space.shape[0], env.action_space.n, cfg)
    obs, _ = env.reset(seed=0)
    for it in range(cfg.iterations):
        o, a, lp, ret, adv, obs = collect(env, agent, cfg, obs)
        agent.update(o, a, lp, ret, adv)
        print(f"iter {it}: mean return-to-go {ret.mean().item():.2f}")


if __name__ == "__main__":
    main()
