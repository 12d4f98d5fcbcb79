"""Serving wrapper for a two-tower retrieval model trained offline (user tower vs. item tower)."""
import torch
import torch.nn as nn


class TwoTower(nn.Module):
    def __init__(self, n_users, n_items, dim=64, p=0.2):
        super().__init__()
        self.user_emb = nn.Embedding(n_users, dim)
        self.item_emb = nn.Embedding(n_items, dim)
        self.user_tower = nn.Sequential(nn.Linear(dim, 128), nn.ReLU(), nn.Dropout(p), nn.Linear(128, dim))
        self.item_tower = nn.Sequential(nn.Linear(dim, 128), nn.ReLU(), nn.Dropout(p), nn.Linear(128, dim))

    def forward(self, user_ids):
        u = self.user_tower(self.user_emb(user_ids))
        items = self.item_tower(self.item_emb.weight)
        return u @ items.T  # (B, n_items) scores


class Recommender:
    def __init__(self, ckpt, n_users, n_items, device="cpu"):
        model = TwoTower(n_users, n_items)
        model.load_state_dict(torch.load(ckpt, map_location="cpu"))
        self.model = model.to(device).eval()
        self.device = device

    def recommend(self, user_ids, k=10, exclude=None):
        users = torch.as_tensor(user_ids, device=self.device)
        scores = self.model(users)
        if exclude is not None:
            scores = scores.masked_fill(exclude.to(self.device), float("-inf"))
        return scores.topk(k, dim=1).indices.cpu().tolist()

    @torch.inference_mode()
    def score_pairs(self, user_ids, item_ids):
        scores = self.model(torch.as_tensor(user_ids, device=self.device))
        return scores.gather(1, torch.as_tensor(item_ids, device=self.device).view(-1, 1)).squeeze(1).cpu()


if __name__ == "__main__":
    rec = Recommender("two_tower.pt", n_users=50_000, n_items=8_000)
    for uid, items in zip([3, 17, 42], rec.recommend([3, 17, 42], k=5)):
        print(uid, items)
