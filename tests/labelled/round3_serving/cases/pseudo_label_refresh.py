"""Weekly self-training refresh of the support-ticket router.

Start from the released checkpoint, pseudo-label the week's unlabeled tickets the model
is confident about, fine-tune on labeled + pseudo-labeled data, repeat a few times, and
keep the result if it beats the released model on the gold set.
"""
import argparse

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import ConcatDataset, DataLoader, TensorDataset


class TicketCNN(nn.Module):
    def __init__(self, vocab_size, n_queues, emb=200, channels=256):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, emb, padding_idx=0)
        self.convs = nn.ModuleList(nn.Conv1d(emb, channels, k, padding=k // 2) for k in (3, 4, 5))
        self.norm = nn.BatchNorm1d(3 * channels)
        self.drop = nn.Dropout(0.5)
        self.fc = nn.Linear(3 * channels, n_queues)

    def forward(self, tokens):
        e = self.embed(tokens).transpose(1, 2)
        h = torch.cat([F.relu(conv(e)).amax(dim=2) for conv in self.convs], dim=1)
        return self.fc(self.drop(self.norm(h)))


def pseudo_label(model, loader, device, threshold):
    model.eval()
    keep_x, keep_y = [], []
    with torch.no_grad():
        for (tokens,) in loader:
            conf, pred = model(tokens.to(device)).softmax(-1).max(-1)
            mask = (conf >= threshold).cpu()
            keep_x.append(tokens[mask])
            keep_y.append(pred.cpu()[mask])
    return torch.cat(keep_x), torch.cat(keep_y)


def evaluate(model, loader, device):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for tokens, queues in loader:
            correct += (model(tokens.to(device)).argmax(-1).cpu() == queues).sum().item()
            total += queues.numel()
    return correct / total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--released", default="router_released.pt")
    ap.add_argument("--data", default="tickets_week.pt")
    ap.add_argument("--iterations", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--threshold", type=float, default=0.95)
    ap.add_argument("--out", default="router_candidate.pt")
    args = ap.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    data = torch.load(args.data)
    labeled = TensorDataset(data["x_labeled"], data["y_labeled"])
    unlabeled_loader = DataLoader(TensorDataset(data["x_unlabeled"]), batch_size=1024)
    gold_loader = DataLoader(TensorDataset(data["x_gold"], data["y_gold"]), batch_size=1024)

    model = TicketCNN(data["vocab_size"], data["n_queues"]).to(device)
    model.load_state_dict(torch.load(args.released, map_location=device))
    baseline = evaluate(model, gold_loader, device)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-4)

    for it in range(args.iterations):
        px, py = pseudo_label(model, unlabeled_loader, device, args.threshold)
        loader = DataLoader(ConcatDataset([labeled, TensorDataset(px, py)]), batch_size=128, shuffle=True)
        for epoch in range(args.epochs):
            for tokens, queues in loader:
                loss = F.cross_entropy(model(tokens.to(device)), queues.to(device))
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        acc = evaluate(model, gold_loader, device)
        print(f"iteration {it}: {len(px)} pseudo-labels, gold acc {acc:.4f} (released {baseline:.4f})")

    if acc > baseline:
        torch.save(model.state_dict(), args.out)
        print(f"saved candidate to {args.out}")


if __name__ == "__main__":
    main()
