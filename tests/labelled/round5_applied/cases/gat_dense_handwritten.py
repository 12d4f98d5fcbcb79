"""Graph attention network written by hand (dense adjacency), transductive node classification."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class GraphAttentionLayer(nn.Module):
    def __init__(self, d_in, d_out, heads=8, feat_drop=0.6, attn_drop=0.6, concat=True):
        super().__init__()
        self.heads, self.d_out, self.concat = heads, d_out, concat
        self.W = nn.Linear(d_in, heads * d_out, bias=False)
        self.a_src = nn.Parameter(torch.empty(heads, d_out))
        self.a_dst = nn.Parameter(torch.empty(heads, d_out))
        nn.init.xavier_uniform_(self.a_src)
        nn.init.xavier_uniform_(self.a_dst)
        self.feat_drop, self.attn_drop = feat_drop, attn_drop

    def forward(self, x, adj):
        x = F.dropout(x, self.feat_drop, training=self.training)
        h = self.W(x).view(-1, self.heads, self.d_out)                      # N, H, D
        e = (h * self.a_src).sum(-1).T[:, :, None] + (h * self.a_dst).sum(-1).T[:, None, :]
        e = F.leaky_relu(e, 0.2).masked_fill(adj[None] == 0, float("-inf"))  # H, N, N
        alpha = torch.softmax(e, dim=-1)
        alpha = F.dropout(alpha, self.attn_drop)
        out = torch.einsum("hij,jhd->ihd", alpha, h)
        return out.reshape(out.shape[0], -1) if self.concat else out.mean(1)


class GAT(nn.Module):
    def __init__(self, d_in, n_classes, hidden=8, heads=8):
        super().__init__()
        self.l1 = GraphAttentionLayer(d_in, hidden, heads)
        self.l2 = GraphAttentionLayer(hidden * heads, n_classes, heads=1, concat=False)

    def forward(self, x, adj):
        return self.l2(F.elu(self.l1(x, adj)), adj)


def accuracy(logits, y, mask):
    return (logits[mask].argmax(1) == y[mask]).float().mean().item()


@torch.no_grad()
def test(model, x, adj, y, masks):
    model.eval()
    logits = model(x, adj)
    return [accuracy(logits, y, m) for m in masks]


def main():
    data = np.load("cora_dense.npz")
    x = torch.tensor(data["features"], dtype=torch.float32)
    x = x / x.sum(1, keepdim=True).clamp(min=1)
    adj = torch.tensor(data["adj"], dtype=torch.float32) + torch.eye(len(x))
    y = torch.tensor(data["labels"])
    train_mask, val_mask, test_mask = (torch.tensor(data[k]) for k in ("train_mask", "val_mask", "test_mask"))

    model = GAT(x.shape[1], int(y.max()) + 1)
    opt = torch.optim.Adam(model.parameters(), lr=5e-3, weight_decay=5e-4)
    best_val, best_state, patience = 0.0, None, 0
    for epoch in range(1000):
        model.train()
        opt.zero_grad()
        out = model(x, adj)
        loss = F.cross_entropy(out[train_mask], y[train_mask])
        loss.backward()
        opt.step()
        _, val_acc, _ = test(model, x, adj, y, (train_mask, val_mask, test_mask))
        if val_acc > best_val:
            best_val, patience = val_acc, 0
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
        else:
            patience += 1
            if patience == 100:
                break
    model.load_state_dict(best_state)
    print("test acc:", test(model, x, adj, y, (train_mask, val_mask, test_mask))[2])


if __name__ == "__main__":
    main()
