"""Two-layer GCN (Kipf & Welling) written from scratch with a sparse normalised adjacency.

Full-batch training on a citation graph; the model with the best validation accuracy
is kept and evaluated on the test nodes.
"""
import copy

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn as nn
import torch.nn.functional as F


def normalized_adjacency(adj):
    adj = adj + sp.eye(adj.shape[0])
    d_inv_sqrt = np.power(np.asarray(adj.sum(1)).flatten(), -0.5)
    d = sp.diags(d_inv_sqrt)
    a = (d @ adj @ d).tocoo()
    idx = torch.tensor(np.vstack([a.row, a.col]), dtype=torch.long)
    return torch.sparse_coo_tensor(idx, torch.tensor(a.data, dtype=torch.float32), a.shape)


class GraphConv(nn.Module):
    def __init__(self, d_in, d_out):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(d_in, d_out))
        self.bias = nn.Parameter(torch.zeros(d_out))
        nn.init.xavier_uniform_(self.weight)

    def forward(self, x, a_hat):
        return torch.sparse.mm(a_hat, x @ self.weight) + self.bias


class GCN(nn.Module):
    def __init__(self, d_in, hidden, n_classes, p=0.5):
        super().__init__()
        self.drop_in = nn.Dropout(p)
        self.gc1 = GraphConv(d_in, hidden)
        self.drop_hidden = nn.Dropout(p)
        self.gc2 = GraphConv(hidden, n_classes)

    def forward(self, x, a_hat):
        h = F.relu(self.gc1(self.drop_in(x), a_hat))
        return self.gc2(self.drop_hidden(h), a_hat)


def train_step(model, optimizer, x, a_hat, y, mask):
    model.train()
    optimizer.zero_grad()
    out = model(x, a_hat)
    loss = F.cross_entropy(out[mask], y[mask])
    loss.backward()
    optimizer.step()
    return loss.item()


@torch.no_grad()
def evaluate(model, x, a_hat, y, mask):
    logits = model(x, a_hat)
    return (logits[mask].argmax(1) == y[mask]).float().mean().item()


def main():
    data = np.load("citeseer.npz", allow_pickle=True)
    adj = sp.csr_matrix((data["adj_data"], data["adj_indices"], data["adj_indptr"]), shape=data["adj_shape"])
    a_hat = normalized_adjacency(adj)
    x = torch.tensor(data["features"], dtype=torch.float32)
    x = x / x.sum(1, keepdim=True).clamp(min=1.0)
    y = torch.tensor(data["labels"])
    train_mask, val_mask, test_mask = (torch.tensor(data[m]) for m in ("train_mask", "val_mask", "test_mask"))

    model = GCN(x.shape[1], 16, int(y.max()) + 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
    best_acc, best_state = 0.0, None
    for epoch in range(200):
        loss = train_step(model, optimizer, x, a_hat, y, train_mask)
        val_acc = evaluate(model, x, a_hat, y, val_mask)
        if val_acc > best_acc:
            best_acc, best_state = val_acc, copy.deepcopy(model.state_dict())
        if epoch % 20 == 0:
            print(f"epoch {epoch:3d}  loss {loss:.4f}  val acc {val_acc:.4f}")
    model.load_state_dict(best_state)
    print(f"test accuracy: {evaluate(model, x, a_hat, y, test_mask):.4f}")


if __name__ == "__main__":
    main()
