"""Review-rating classifier: packed BiLSTM over GloVe embeddings, custom collate with length
sorting, AMP + gradient accumulation, best checkpoint on validation macro-F1."""
import argparse

import torch
import torch.nn as nn
from sklearn.metrics import f1_score
from torch.nn.utils.rnn import pack_padded_sequence, pad_sequence
from torch.utils.data import DataLoader


def collate(batch):
    batch.sort(key=lambda ex: len(ex[0]), reverse=True)
    ids = [torch.tensor(ex[0], dtype=torch.long) for ex in batch]
    lengths = torch.tensor([len(x) for x in ids])
    labels = torch.tensor([ex[1] for ex in batch])
    return pad_sequence(ids, batch_first=True), lengths, labels


class LSTMClassifier(nn.Module):
    def __init__(self, embeddings, num_classes=5, hidden=256, dropout=0.4):
        super().__init__()
        self.embedding = nn.Embedding.from_pretrained(embeddings, freeze=False, padding_idx=0)
        self.lstm = nn.LSTM(embeddings.size(1), hidden, num_layers=2, dropout=dropout, bidirectional=True, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(2 * hidden, num_classes)

    def forward(self, ids, lengths):
        packed = pack_padded_sequence(self.embedding(ids), lengths.cpu(), batch_first=True)
        _, (h, _) = self.lstm(packed)
        return self.fc(self.dropout(torch.cat([h[-2], h[-1]], dim=-1)))


def evaluate(model, loader, device):
    model.eval()
    preds, gold = [], []
    with torch.no_grad():
        for ids, lengths, labels in loader:
            preds += model(ids.to(device), lengths).argmax(-1).tolist()
            gold += labels.tolist()
    return f1_score(gold, preds, average="macro")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--accum", type=int, default=4)
    args = ap.parse_args()
    device = torch.device("cuda")
    train_set, val_set = torch.load("reviews_train.pt"), torch.load("reviews_val.pt")
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, collate_fn=collate)
    val_loader = DataLoader(val_set, batch_size=256, collate_fn=collate)

    model = LSTMClassifier(torch.load("glove_300d_vocab.pt")).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    criterion = nn.CrossEntropyLoss()
    scaler = torch.cuda.amp.GradScaler()
    best = 0.0
    for epoch in range(args.epochs):
        model.train
        optimizer.zero_grad()
        for step, (ids, lengths, labels) in enumerate(train_loader):
            with torch.autocast(device_type="cuda", dtype=torch.float16):
                logits = model(ids.to(device), lengths)
                loss = criterion(logits, labels.to(device)) / args.accum
            scaler.scale(loss).backward()
            if (step + 1) % args.accum == 0:
                scaler.unscale_(optimizer)
                nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                scaler.step(optimizer)
                scaler.update()
                optimizer.zero_grad()
        f1 = evaluate(model, val_loader, device)
        print(f"epoch {epoch}: val macro-F1 {f1:.4f}")
        if f1 > best:
            best = f1
            torch.save(model.state_dict(), "lstm_cls_best.pt")


if __name__ == "__main__":
    main()
