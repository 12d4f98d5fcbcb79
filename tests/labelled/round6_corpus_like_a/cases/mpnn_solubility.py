"""Message-passing network predicting aqueous solubility (logS) from molecular graphs.

Graphs are pre-batched dicts: x (N, 32) atom features, edge_index (2, E), edge_attr (E, 8),
batch (N,) graph id of each atom, y (G,) targets.
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F


class MPNNLayer(nn.Module):
    def __init__(self, dim, edge_dim, dropout=0.1):
        super().__init__()
        self.msg = nn.Linear(2 * dim + edge_dim, dim)
        self.upd = nn.GRUCell(dim, dim)
        self.dropout = dropout

    def forward(self, h, edge_index, edge_attr):
        src, dst = edge_index
        m = F.silu(self.msg(torch.cat([h[src], h[dst], edge_attr], dim=-1)))
        m = F.dropout(m, self.dropout, training=self.training)
        agg = torch.zeros_like(h).index_add_(0, dst, m)
        return self.upd(agg, h)


class SolubilityMPNN(nn.Module):
    def __init__(self, atom_dim=32, edge_dim=8, dim=128, steps=4, readout_dropout=0.25):
        super().__init__()
        self.embed = nn.Linear(atom_dim, dim)
        self.layers = nn.ModuleList(MPNNLayer(dim, edge_dim) for _ in range(steps))
        self.readout_dropout = readout_dropout
        self.head = nn.Sequential(nn.Linear(2 * dim, dim), nn.SiLU(), nn.Linear(dim, 1))

    def forward(self, g):
        h = self.embed(g["x"])
        for layer in self.layers:
            h = layer(h, g["edge_index"], g["edge_attr"])
        n_graphs = int(g["batch"].max()) + 1
        summed = torch.zeros(n_graphs, h.size(1), device=h.device).index_add_(0, g["batch"], h)
        maxed = torch.full_like(summed, -1e9).index_reduce_(0, g["batch"], h, "amax")
        pooled = F.dropout(torch.cat([summed, maxed], dim=-1), self.readout_dropout)
        return self.head(pooled).squeeze(-1)


def to_device(g, device):
    return {k: v.to(device) for k, v in g.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", default="esol_train_batches.pt")
    ap.add_argument("--val", default="esol_val_batches.pt")
    ap.add_argument("--epochs", type=int, default=150)
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    train_batches, val_batches = torch.load(args.train), torch.load(args.val)

    model = SolubilityMPNN().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=5e-4)
    for epoch in range(args.epochs):
        model.train()
        for g in train_batches:
            g = to_device(g, device)
            loss = F.mse_loss(model(g), g["y"])
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            se = sum(((model(to_device(g, device)) - g["y"].to(device)) ** 2).sum().item() for g in val_batches)
            n = sum(len(g["y"]) for g in val_batches)
        print(f"epoch {epoch}: train mse {loss.item():.3f} val rmse {(se / n) ** 0.5:.3f}")
    torch.save(model.state_dict(), "mpnn_esol.pt")


if __name__ == "__main__":
    main()
