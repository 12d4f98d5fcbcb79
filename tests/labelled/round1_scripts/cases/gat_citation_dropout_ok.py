"""Two-layer GAT (dense adjacency) for citation-graph node classification, plus an optional
graph-level attention readout. Every functional dropout follows the module's mode."""
import torch
import torch.nn as nn
import torch.nn.functional as F


def neighbour_softmax(scores, adj, p, training):
    scores = scores.masked_fill(adj.unsqueeze(-1) == 0, float("-inf"))
    return F.dropout(torch.softmax(scores, dim=1), p, training=training)


class GATLayer(nn.Module):
    def __init__(self, in_dim, out_dim, heads=8, dropout=0.6, concat=True):
        super().__init__()
        self.heads, self.out_dim, self.concat, self.dropout = heads, out_dim, concat, dropout
        self.W = nn.Linear(in_dim, heads * out_dim, bias=False)
        self.a_src = nn.Parameter(torch.empty(heads, out_dim))
        self.a_dst = nn.Parameter(torch.empty(heads, out_dim))
        nn.init.xavier_uniform_(self.a_src)
        nn.init.xavier_uniform_(self.a_dst)

    def forward(self, x, adj):
        x = F.dropout(x, self.dropout, self.training)
        h = self.W(x).view(-1, self.heads, self.out_dim)
        e = F.leaky_relu((h * self.a_dst).sum(-1).unsqueeze(1) + (h * self.a_src).sum(-1).unsqueeze(0), 0.2)
        alpha = neighbour_softmax(e, adj, self.dropout, self.training)
        out = torch.einsum("ijh,jhd->ihd", alpha, h)
        return out.reshape(out.size(0), -1) if self.concat else out.mean(1)


class AttentionReadout(nn.Module):
    def __init__(self, dim, heads=4, attn_drop=0.1):
        super().__init__()
        self.heads, self.attn_drop = heads, attn_drop
        self.query = nn.Parameter(torch.randn(1, heads, 1, dim // heads))
        self.kv = nn.Linear(dim, 2 * dim)

    def forward(self, h):
        k, v = self.kv(h).view(1, h.size(0), 2, self.heads, -1).permute(2, 0, 3, 1, 4)
        p = self.attn_drop if self.training else 0.0
        return F.scaled_dot_product_attention(self.query, k, v, dropout_p=p).flatten()


class GAT(nn.Module):
    def __init__(self, in_dim, n_classes, hidden=8, heads=8, dropout=0.6, edge_drop=0.1):
        super().__init__()
        self.layer1 = GATLayer(in_dim, hidden, heads, dropout)
        self.layer2 = GATLayer(hidden * heads, n_classes, 1, dropout, concat=False)
        self.edge_drop = edge_drop

    def forward(self, x, adj):
        if self.training:
            adj = F.dropout(adj, self.edge_drop) * (1 - self.edge_drop)
        return self.layer2(F.elu(self.layer1(x, adj)), adj)


def run(features, adj, labels, train_mask, val_mask, test_mask, epochs=200):
    model = GAT(features.size(1), int(labels.max()) + 1)
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-3, weight_decay=5e-4)
    best_val, best_state = 0.0, None
    for epoch in range(epochs):
        model.train()
        loss = F.cross_entropy(model(features, adj)[train_mask], labels[train_mask])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        model.eval()
        with torch.no_grad():
            pred = model(features, adj).argmax(1)
        val_acc = (pred[val_mask] == labels[val_mask]).float().mean().item()
        if val_acc > best_val:
            best_val, best_state = val_acc, {k: v.clone() for k, v in model.state_dict().items()}
    model.load_state_dict(best_state)
    model.eval()
    with torch.no_grad():
        test_acc = (model(features, adj).argmax(1)[test_mask] == labels[test_mask]).float().mean().item()
    print(f"best val {best_val:.4f} test {test_acc:.4f}")
    return model
