"""CTC speech recognizer (conv front-end + BiLSTM) with a small Trainer class.
Validation uses EMA weights when --ema is given, the live model otherwise."""
import argparse
import copy

import torch
import torch.nn as nn
from torch.utils.data import DataLoader


class CTCModel(nn.Module):
    def __init__(self, n_mels=80, d=256, vocab=32, p=0.15):
        super().__init__()
        self.frontend = nn.Sequential(
            nn.Conv1d(n_mels, d, 5, stride=2, padding=2), nn.BatchNorm1d(d), nn.GELU(),
            nn.Conv1d(d, d, 5, stride=2, padding=2), nn.BatchNorm1d(d), nn.GELU(),
        )
        self.encoder = nn.LSTM(d, d, num_layers=3, dropout=p, batch_first=True, bidirectional=True)
        self.head = nn.Linear(2 * d, vocab)

    def forward(self, feats):  # feats: (B, n_mels, T)
        x = self.frontend(feats).transpose(1, 2)
        x, _ = self.encoder(x)
        return self.head(x).log_softmax(-1)


def pad_collate(batch):
    feats, tokens = zip(*batch)  # feats[i]: (n_mels, T_i), tokens[i]: (L_i,)
    feat_lens = torch.tensor([f.shape[1] for f in feats])
    padded = torch.zeros(len(feats), feats[0].shape[0], int(feat_lens.max()))
    for i, f in enumerate(feats):
        padded[i, :, : f.shape[1]] = f
    return padded, feat_lens, torch.cat(tokens), torch.tensor([len(t) for t in tokens])


class ModelEMA:
    def __init__(self, model, decay=0.999):
        self.module = copy.deepcopy(model).eval()
        self.decay = decay

    @torch.no_grad()
    def update(self, model):
        for e, m in zip(self.module.state_dict().values(), model.state_dict().values()):
            if e.dtype.is_floating_point:
                e.mul_(self.decay).add_(m.detach(), alpha=1 - self.decay)
            else:
                e.copy_(m)


class Trainer:
    def __init__(self, model, train_loader, val_loader, lr=1e-3, use_ema=False, device="cuda"):
        self.device = device
        self.model = model.to(device)
        self.ema = ModelEMA(self.model) if use_ema else None
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=lr, weight_decay=1e-2)
        self.ctc = nn.CTCLoss(blank=0, zero_infinity=True)
        self.train_loader, self.val_loader = train_loader, val_loader

    def _loss(self, log_probs, feat_lens, targets, target_lens):
        return self.ctc(log_probs.transpose(0, 1), targets, feat_lens // 4, target_lens)

    def train_epoch(self):
        self.model.train()
        for feats, feat_lens, targets, target_lens in self.train_loader:
            log_probs = self.model(feats.to(self.device))
            loss = self._loss(log_probs, feat_lens, targets, target_lens)
            self.optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(self.model.parameters(), 5.0)
            self.optimizer.step()
            if self.ema is not None:
                self.ema.update(self.model)
        return loss.item()

    def validate(self):
        if self.ema is not None:
            net = self.ema.module
            net.eval()
        else:
            net = self.model
        total, n = 0.0, 0
        with torch.no_grad():
            for feats, feat_lens, targets, target_lens in self.val_loader:
                log_probs = net(feats.to(self.device))
                total += self._loss(log_probs, feat_lens, targets, target_lens).item() * feats.size(0)
                n += feats.size(0)
        return total / n

    def fit(self, epochs, ckpt="ctc_best.pt"):
        best = float("inf")
        for epoch in range(epochs):
            train_loss = self.train_epoch()
            val_loss = self.validate()
            if val_loss < best:
                best = val_loss
                torch.save(self.model.state_dict(), ckpt)
            print(f"epoch {epoch}: train ctc {train_loss:.3f} val ctc {val_loss:.3f}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", default="librispeech_100h.pt")
    ap.add_argument("--val", default="dev_clean.pt")
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--ema", action="store_true")
    args = ap.parse_args()
    train_loader = DataLoader(torch.load(args.train), batch_size=32, shuffle=True, collate_fn=pad_collate)
    val_loader = DataLoader(torch.load(args.val), batch_size=32, collate_fn=pad_collate)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    Trainer(CTCModel(), train_loader, val_loader, use_ema=args.ema, device=device).fit(args.epochs)
