"""PPO on LunarLander-v3 with stable-baselines3 and a custom feature extractor (LayerNorm +
Dropout); evaluation, a value-function heat map, and reloading the saved agent."""
import argparse

import gymnasium as gym
import numpy as np
import torch as th
import torch.nn as nn
from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import EvalCallback
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.evaluation import evaluate_policy
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor


class LNDropoutExtractor(BaseFeaturesExtractor):
    def __init__(self, observation_space, features_dim=128, p=0.1):
        super().__init__(observation_space, features_dim)
        n_in = int(np.prod(observation_space.shape))
        self.net = nn.Sequential(nn.Linear(n_in, 256), nn.LayerNorm(256), nn.ReLU(), nn.Dropout(p),
                                 nn.Linear(256, features_dim), nn.ReLU())

    def forward(self, observations):
        return self.net(observations)


def evaluate(model, env_id, episodes=10):
    env = gym.make(env_id)
    returns = []
    for ep in range(episodes):
        obs, _ = env.reset(seed=1000 + ep)
        done, total = False, 0.0
        while not done:
            action, _ = model.predict(obs, deterministic=True)
            obs, reward, terminated, truncated, _ = env.step(action)
            total += reward
            done = terminated or truncated
        returns.append(total)
    env.close()
    return float(np.mean(returns)), float(np.std(returns))


def value_grid(model, n=50):
    xs, ys = np.meshgrid(np.linspace(-1, 1, n), np.linspace(0, 1.5, n))
    obs = np.zeros((n * n, 8), dtype=np.float32)
    obs[:, 0], obs[:, 1] = xs.ravel(), ys.ravel()
    model.policy.set_training_mode(False)
    obs_t, _ = model.policy.obs_to_tensor(obs)
    with th.no_grad():
        values = model.policy.predict_values(obs_t)
    return values.cpu().numpy().reshape(n, n)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--timesteps", type=int, default=1_000_000)
    ap.add_argument("--env", default="LunarLander-v3")
    args = ap.parse_args()

    env = make_vec_env(args.env, n_envs=8, seed=0)
    eval_env = make_vec_env(args.env, n_envs=1, seed=123)
    model = PPO("MlpPolicy", env, n_steps=1024, batch_size=64, gae_lambda=0.98, gamma=0.999, ent_coef=0.01,
                policy_kwargs=dict(features_extractor_class=LNDropoutExtractor,
                                   features_extractor_kwargs=dict(features_dim=128)),
                verbose=1, tensorboard_log="runs/ppo_lander")
    callback = EvalCallback(eval_env, eval_freq=10_000, n_eval_episodes=10, deterministic=True,
                            best_model_save_path="runs/ppo_lander/best")
    model.learn(total_timesteps=args.timesteps, callback=callback)
    model.save("ppo_lander_final")

    mean, std = evaluate_policy(model, eval_env, n_eval_episodes=20, deterministic=True)
    print(f"evaluate_policy: {mean:.1f} +/- {std:.1f}")
    print("own evaluation: %.1f +/- %.1f" % evaluate(model, args.env))
    np.save("value_grid.npy", value_grid(model))

    best = PPO.load("runs/ppo_lander/best/best_model", device="cpu")
    print("best checkpoint: %.1f +/- %.1f" % evaluate(best, args.env))


if __name__ == "__main__":
    main()
