"""Character CTC model (conv subsampling + BiLSTM) for LibriSpeech-100h: SpecAugment applied
only in training, torch.compile'd training step, AMP + gradient accumulation, early stopping
on dev WER, greedy CTC decoding."""
import jiwer
import torch
import torch.nn as nn

VOCAB = ["<blank>", " ", "'"] + [chr(c) for c in range(ord("a"), ord("z") + 1)]


class SpecAugment(nn.Module):
    def __init__(self, freq_mask=27, time_mask=40, n_masks=2):
        super().__init__()
        self.freq_mask, self.time_mask, self.n_masks = freq_mask, time_mask, n_masks

    def forward(self, x):  # x: (B, T, F)
        if not self.training:
            return x
        x = x.clone()
        for _ in range(self.n_masks):
            f0 = torch.randint(0, x.size(2) - self.freq_mask, (1,)).item()
            x[:, :, f0:f0 + torch.randint(0, self.freq_mask, (1,)).item()] = 0
            t0 = torch.randint(0, max(1, x.size(1) - self.time_mask), (1,)).item()
            x[:, t0:t0 + torch.randint(0, self.time_mask, (1,)).item(), :] = 0
        return x


class CTCNet(nn.Module):
    def __init__(self, n_mels=80, hidden=512, dropout=0.3):
        super().__init__()
        self.specaug = SpecAugment()
        self.subsample = nn.Sequential(
            nn.Conv2d(1, 32, 3, stride=2, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
            nn.Conv2d(32, 32, 3, stride=2, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
        )
        self.lstm = nn.LSTM(32 * (n_mels // 4), hidden, num_layers=4, dropout=dropout, bidirectional=True, batch_first=True)
        self.fc = nn.Linear(2 * hidden, len(VOCAB))

    def forward(self, feats):
        x = self.subsample(self.specaug(feats).unsqueeze(1))
        b, c, t, f = x.shape
        x, _ = self.lstm(x.permute(0, 2, 1, 3).reshape(b, t, c * f))
        return self.fc(x).log_softmax(-1)


def greedy_ctc(log_probs, lengths):
    out = []
    for seq, n in zip(log_probs.argmax(-1).cpu().tolist(), lengths.tolist()):
        chars, prev = [], 0
        for i in seq[:n]:
            if i != prev and i != 0:
                chars.append(VOCAB[i])
            prev = i
        out.append("".join(chars))
    return out


@torch.no_grad
def evaluate(model, loader, device):
    model.eval()
    hyps, refs = [], []
    for feats, feat_lens, _, _, texts in loader:
        log_probs = model(feats.to(device))
        hyps += greedy_ctc(log_probs, (feat_lens + 3) // 4)
        refs += texts
    return jiwer.wer(refs, hyps)


def main(train_loader, dev_loader, test_loader, epochs=60, accum=4, patience=6, device="cuda"):
    model = CTCNet().to(device)
    compiled = torch.compile(model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)
    ctc = nn.CTCLoss(blank=0, zero_infinity=True)
    scaler = torch.amp.GradScaler("cuda")
    best, bad = float("inf"), 0
    for epoch in range(epochs):
        model.train()
        for i, (feats, feat_lens, targets, target_lens, _) in enumerate(train_loader):
            with torch.autocast("cuda", dtype=torch.float16):
                log_probs = compiled(feats.to(device))
            loss = ctc(log_probs.float().transpose(0, 1), targets, (feat_lens + 3) // 4, target_lens) / accum
            scaler.scale(loss).backward()
            if (i + 1) % accum == 0:
                scaler.unscale_(optimizer)
                nn.utils.clip_grad_norm_(model.parameters(), 10.0)
                scaler.step(optimizer)
                scaler.update()
                optimizer.zero_grad(set_to_none=True)
        wer = evaluate(model, dev_loader, device)
        print(f"epoch {epoch}: dev WER {wer:.4f}")
        if wer < best:
            best, bad = wer, 0
            torch.save(model.state_dict(), "ctc_best.pt")
        else:
            bad += 1
            if bad >= patience:
                break
    model.load_state_dict(torch.load("ctc_best.pt"))
    print(f"test WER {evaluate(model, test_loader, device):.4f}")
