"""Aqueous solubility (logS) regression: LoRA fine-tuning of ChemBERTa on SMILES strings."""
import argparse

import pandas as pd
import torch
import torch.nn.functional as F
from peft import LoraConfig, TaskType, get_peft_model
from torch.utils.data import DataLoader
from transformers import AutoModelForSequenceClassification, AutoTokenizer

BASE = "seyonec/ChemBERTa-zinc-base-v1"


def make_loader(df, tok, batch_size, shuffle):
    def collate(rows):
        enc = tok([r[0] for r in rows], padding=True, truncation=True, max_length=128, return_tensors="pt")
        enc["labels"] = torch.tensor([r[1] for r in rows], dtype=torch.float32)
        return enc
    return DataLoader(list(zip(df.smiles, df.logS)), batch_size=batch_size, shuffle=shuffle, collate_fn=collate)


def evaluate(model, loader, device):
    model.eval()
    se, n = 0.0, 0
    with torch.inference_mode():
        for batch in loader:
            batch = {k: v.to(device) for k, v in batch.items()}
            labels = batch.pop("labels")
            pred = model(**batch).logits.squeeze(-1)
            se += F.mse_loss(pred, labels, reduction="sum").item()
            n += labels.numel()
    return (se / n) ** 0.5


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="esol.csv")
    ap.add_argument("--epochs", type=int, default=20)
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    df = pd.read_csv(args.data).sample(frac=1.0, random_state=0)
    n_val = len(df) // 10
    tok = AutoTokenizer.from_pretrained(BASE)
    train_loader = make_loader(df.iloc[n_val:], tok, 32, True)
    val_loader = make_loader(df.iloc[:n_val], tok, 128, False)

    base = AutoModelForSequenceClassification.from_pretrained(BASE, num_labels=1, problem_type="regression")
    lora = LoraConfig(task_type=TaskType.SEQ_CLS, r=8, lora_alpha=16, lora_dropout=0.1,
                      target_modules=["query", "value"], inference_mode=False)
    model = get_peft_model(base, lora).to(device)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=5e-4)
    for epoch in range(args.epochs):
        model.train()
        for batch in train_loader:
            out = model(**{k: v.to(device) for k, v in batch.items()})
            optimizer.zero_grad()
            out.loss.backward()
            optimizer.step()
        print(f"epoch {epoch}: train loss {out.loss.item():.4f} val RMSE {evaluate(model, val_loader, device):.4f}")
    model.save_pretrained("chemberta-esol-lora")


if __name__ == "__main__":
    main()
