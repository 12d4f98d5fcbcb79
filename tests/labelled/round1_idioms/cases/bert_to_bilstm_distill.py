"""Distil a fine-tuned BERT sentiment classifier into a small BiLSTM student.

The teacher's soft labels are computed on the fly; student accuracy is printed after
every epoch and test-set probabilities are exported at the end.
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from transformers import AutoModelForSequenceClassification, AutoTokenizer

TEACHER = "textattack/bert-base-uncased-SST-2"


class BiLSTMStudent(nn.Module):
    def __init__(self, vocab_size, emb=300, hidden=300, n_classes=2, p=0.3):
        super().__init__()
        self.emb = nn.Embedding(vocab_size, emb, padding_idx=0)
        self.lstm = nn.LSTM(emb, hidden, num_layers=2, dropout=p, bidirectional=True, batch_first=True)
        self.drop = nn.Dropout(p)
        self.fc = nn.Linear(4 * hidden, n_classes)

    def forward(self, ids):
        mask = (ids != 0).unsqueeze(-1)
        h, _ = self.lstm(self.drop(self.emb(ids)))
        mean = (h * mask).sum(1) / mask.sum(1).clamp_min(1)
        mx = h.masked_fill(~mask, -1e4).max(1).values
        return self.fc(self.drop(torch.cat([mean, mx], -1)))


@torch.no_grad()
def evaluate(net, loader, device):
    correct = total = 0
    for batch in loader:
        logits = net(batch["input_ids"].to(device))
        correct += (logits.argmax(-1).cpu() == batch["labels"]).sum().item()
        total += len(batch["labels"])
    return correct / total


def export_predictions(net, test_loader, device, path="student_test_probs.npy"):
    net.eval()
    out = []
    for batch in test_loader:
        probs = net(batch["input_ids"].to(device)).softmax(-1)
        out.append(probs.detach().cpu().numpy())
    np.save(path, np.concatenate(out))


def distill(train_loader, val_loader, test_loader, epochs=10, T=2.0, device="cuda"):
    tokenizer = AutoTokenizer.from_pretrained(TEACHER)
    teacher = AutoModelForSequenceClassification.from_pretrained(TEACHER).to(device)
    teacher.eval()
    student = BiLSTMStudent(tokenizer.vocab_size).to(device)
    opt = torch.optim.Adam(student.parameters(), lr=1e-3)

    for epoch in range(epochs):
        for batch in train_loader:
            ids, attn = batch["input_ids"].to(device), batch["attention_mask"].to(device)
            with torch.no_grad():
                t_logits = teacher(input_ids=ids, attention_mask=attn).logits
            s_logits = student(ids)
            loss = F.kl_div(F.log_softmax(s_logits / T, -1), F.softmax(t_logits / T, -1),
                            reduction="batchmean") * T * T
            loss = loss + 0.1 * F.cross_entropy(s_logits, batch["labels"].to(device))
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"epoch {epoch}: loss {loss.item():.4f} student val acc {evaluate(student, val_loader, device):.4f}")

    export_predictions(student, test_loader, device)
    torch.save(student.state_dict(), "bilstm_student.pt")
    return student
