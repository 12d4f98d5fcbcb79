"""Enhancer activity prediction from 500-bp DNA windows.

A convolutional encoder pre-trained on chromatin accessibility is kept as a separate, frozen
feature extractor (eval mode, no gradients); only the small regression head is trained.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class BassetEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv1d(4, 300, 19, padding=9), nn.BatchNorm1d(300), nn.ReLU(), nn.MaxPool1d(3),
            nn.Conv1d(300, 200, 11, padding=5), nn.BatchNorm1d(200), nn.ReLU(), nn.MaxPool1d(4),
            nn.Conv1d(200, 200, 7, padding=3), nn.BatchNorm1d(200), nn.ReLU(), nn.AdaptiveMaxPool1d(4),
            nn.Flatten(),
        )

    def forward(self, onehot):
        return self.net(onehot)


def load_frozen_encoder(path, device):
    encoder = BassetEncoder()
    encoder.load_state_dict(torch.load(path, map_location="cpu"))
    encoder.requires_grad_(False)
    return encoder.to(device).eval()


def fit(encoder, train_loader, val_loader, epochs=20, device="cuda"):
    head = nn.Sequential(nn.Linear(800, 128), nn.ReLU(), nn.Dropout(0.3), nn.Linear(128, 1)).to(device)
    opt = torch.optim.AdamW(head.parameters(), lr=1e-3, weight_decay=1e-2)
    for epoch in range(epochs):
        head.train()
        for seq, activity in train_loader:
            with torch.no_grad():
                z = encoder(seq.to(device))
            loss = F.mse_loss(head(z).squeeze(-1), activity.to(device))
            opt.zero_grad()
            loss.backward()
            opt.step()
        head.eval()
        preds, targets = [], []
        with torch.no_grad():
            for seq, activity in val_loader:
                preds.append(head(encoder(seq.to(device))).squeeze(-1).cpu())
                targets.append(activity)
        p, t = torch.cat(preds), torch.cat(targets)
        r = torch.corrcoef(torch.stack([p, t]))[0, 1].item()
        print(f"epoch {epoch}: train mse {loss.item():.4f} val pearson {r:.4f}")
    return head


if __name__ == "__main__":
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    enc = load_frozen_encoder("basset_dnase.pt", dev)
    tr = torch.utils.data.DataLoader(torch.load("mpra_train.pt"), batch_size=128, shuffle=True)
    va = torch.utils.data.DataLoader(torch.load("mpra_val.pt"), batch_size=512)
    torch.save(fit(enc, tr, va, device=dev).state_dict(), "enhancer_head.pt")
