"""BiLSTM-CRF named-entity tagger (CoNLL-2003 style) with Viterbi decoding and span F1."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from seqeval.metrics import f1_score
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


class BiLSTMCRF(nn.Module):
    def __init__(self, vocab_size, num_tags, emb_dim=100, hidden=200, emb_dropout=0.5, dropout=0.5):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, emb_dim, padding_idx=0)
        self.emb_dropout = emb_dropout
        self.lstm = nn.LSTM(emb_dim, hidden // 2, num_layers=1, bidirectional=True, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.hidden2tag = nn.Linear(hidden, num_tags)
        self.transitions = nn.Parameter(torch.zeros(num_tags, num_tags))
        self.start = nn.Parameter(torch.zeros(num_tags))
        self.end = nn.Parameter(torch.zeros(num_tags))

    def _emissions(self, tokens, lengths):
        x = F.dropout(self.embedding(tokens), self.emb_dropout)
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, _ = self.lstm(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=tokens.size(1))
        return self.hidden2tag(self.dropout(out))

    def _nll(self, em, tags, mask):
        score = self.start[tags[:, 0]] + em[:, 0].gather(1, tags[:, :1]).squeeze(1)
        alpha = self.start + em[:, 0]
        for t in range(1, em.size(1)):
            m = mask[:, t]
            step = em[:, t].gather(1, tags[:, t:t + 1]).squeeze(1) + self.transitions[tags[:, t - 1], tags[:, t]]
            score = score + step * m
            nxt = torch.logsumexp(alpha.unsqueeze(2) + self.transitions + em[:, t].unsqueeze(1), dim=1)
            alpha = torch.where(m.unsqueeze(1).bool(), nxt, alpha)
        last = tags.gather(1, (mask.sum(1).long() - 1).unsqueeze(1)).squeeze(1)
        score = score + self.end[last]
        return (torch.logsumexp(alpha + self.end, dim=1) - score).mean()

    def _viterbi(self, em, mask):
        best, history = self.start + em[:, 0], []
        for t in range(1, em.size(1)):
            s, idx = (best.unsqueeze(2) + self.transitions).max(dim=1)
            history.append(idx)
            best = torch.where(mask[:, t:t + 1].bool(), s + em[:, t], best)
        best = best + self.end
        paths = []
        for b in range(em.size(0)):
            n = int(mask[b].sum())
            tag = int(best[b].argmax())
            path = [tag]
            for idx in reversed(history[: n - 1]):
                tag = int(idx[b, tag])
                path.append(tag)
            paths.append(path[::-1])
        return paths

    def forward(self, tokens, lengths, tags=None):
        mask = (tokens != 0).float()
        em = self._emissions(tokens, lengths)
        if tags is not None:
            return self._nll(em, tags, mask)
        return self._viterbi(em, mask)


def evaluate(model, loader, id2tag, device):
    model.eval()
    gold, pred = [], []
    with torch.no_grad():
        for tokens, lengths, tags in loader:
            paths = model(tokens.to(device), lengths)
            for p, g, n in zip(paths, tags.tolist(), lengths.tolist()):
                pred.append([id2tag[i] for i in p])
                gold.append([id2tag[i] for i in g[:n]])
    return f1_score(gold, pred)


def fit(model, train_loader, dev_loader, id2tag, device, epochs=30, patience=5):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.015, momentum=0.9)
    best_f1, bad = 0.0, 0
    for epoch in range(epochs):
        model.train()
        for tokens, lengths, tags in train_loader:
            loss = model(tokens.to(device), lengths, tags.to(device))
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
        f1 = evaluate(model, dev_loader, id2tag, device)
        print(f"epoch {epoch}: dev F1 {f1:.4f}")
        if f1 > best_f1:
            best_f1, bad = f1, 0
            torch.save(model.state_dict(), "bilstm_crf.pt")
        else:
            bad += 1
            if bad >= patience:
                break
    return best_f1
