"""Cross-lingual transfer for a CTC acoustic model: load an English checkpoint, keep the
convolutional front-end frozen, re-train the BiGRU + output layer on a new character set.
Greedy CTC decoding for dev CER."""
import editdistance
import torch
import torch.nn as nn
import torch.nn.functional as F


class ConvFrontend(nn.Module):
    def __init__(self, n_mels=80, channels=256):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv1d(n_mels, channels, 11, stride=2, padding=5), nn.BatchNorm1d(channels), nn.ReLU(),
            nn.Conv1d(channels, channels, 11, stride=1, padding=5), nn.BatchNorm1d(channels), nn.ReLU(),
        )

    def forward(self, feats):
        return self.net(feats.transpose(1, 2)).transpose(1, 2)


class CTCModel(nn.Module):
    def __init__(self, vocab_size, n_mels=80, hidden=384, dropout=0.2):
        super().__init__()
        self.frontend = ConvFrontend(n_mels)
        self.rnn = nn.GRU(256, hidden, num_layers=3, dropout=dropout, bidirectional=True, batch_first=True)
        self.out = nn.Linear(2 * hidden, vocab_size)

    def forward(self, feats):
        x, _ = self.rnn(self.frontend(feats))
        return self.out(x).log_softmax(-1)


def greedy_decode(log_probs, out_lens, blank=0):
    hyps = []
    for seq, n in zip(log_probs.argmax(-1).tolist(), out_lens.tolist()):
        prev, hyp = blank, []
        for tok in seq[:n]:
            if tok != prev and tok != blank:
                hyp.append(tok)
            prev = tok
        hyps.append(hyp)
    return hyps


def dev_cer(model, loader, device):
    model.eval()
    errs = chars = 0
    with torch.no_grad():
        for feats, feat_lens, targets, target_lens in loader:
            log_probs = model(feats.to(device))
            for hyp, ref, n in zip(greedy_decode(log_probs, (feat_lens + 1) // 2), targets.tolist(), target_lens.tolist()):
                errs += editdistance.eval(hyp, ref[:n])
                chars += n
    return errs / chars


def finetune(ckpt, new_vocab_size, train_loader, dev_loader, epochs=40, accum=2, device="cuda"):
    model = CTCModel(vocab_size=32)
    model.load_state_dict(torch.load(ckpt, map_location="cpu"))
    model.out = nn.Linear(model.out.in_features, new_vocab_size)
    model.frontend.requires_grad_(False)
    model.to(device)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=5e-4)
    ctc = nn.CTCLoss(blank=0, zero_infinity=True)
    best = float("inf")
    for epoch in range(epochs):
        model.train()
        optimizer.zero_grad()
        for i, (feats, feat_lens, targets, target_lens) in enumerate(train_loader):
            log_probs = model(feats.to(device))
            loss = ctc(log_probs.transpose(0, 1), targets.to(device), (feat_lens + 1) // 2, target_lens) / accum
            loss.backward()
            if (i + 1) % accum == 0:
                nn.utils.clip_grad_norm_(model.parameters(), 5.0)
                optimizer.step()
                optimizer.zero_grad()
        cer = dev_cer(model, dev_loader, device)
        print(f"epoch {epoch}: dev CER {cer:.3f}")
        if cer < best:
            best = cer
            torch.save(model.state_dict(), "ctc_transfer_best.pt")
    return best
