"""Forward reaction prediction: fine-tune a SMILES T5 on reactants>>product pairs, then report
top-1 exact-match accuracy of beam-search predictions on the test split."""
import argparse

import pandas as pd
import torch
from rdkit import Chem
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer


def canonical(smiles):
    mol = Chem.MolFromSmiles(smiles)
    return Chem.MolToSmiles(mol) if mol is not None else None


def batches(df, size, shuffle):
    order = torch.randperm(len(df)).tolist() if shuffle else list(range(len(df)))
    for i in range(0, len(order), size):
        yield df.iloc[order[i:i + size]]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default="GT4SD/multitask-text-and-chemistry-t5-small-standard")
    ap.add_argument("--train", default="uspto_mit_train.csv")
    ap.add_argument("--test", default="uspto_mit_test.csv")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=32)
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"

    tok = AutoTokenizer.from_pretrained(args.base)
    model = AutoModelForSeq2SeqLM.from_pretrained(args.base).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-4)
    train_df, test_df = pd.read_csv(args.train), pd.read_csv(args.test)

    model.train()
    for epoch in range(args.epochs):
        for step, chunk in enumerate(batches(train_df, args.batch_size, shuffle=True)):
            enc = tok(list(chunk.reactants), padding=True, truncation=True, max_length=256, return_tensors="pt")
            labels = tok(list(chunk["product"]), padding=True, truncation=True, max_length=128,
                         return_tensors="pt").input_ids
            labels[labels == tok.pad_token_id] = -100
            out = model(**enc.to(device), labels=labels.to(device))
            optimizer.zero_grad()
            out.loss.backward()
            optimizer.step()
            if step % 200 == 0:
                print(f"epoch {epoch} step {step}: loss {out.loss.item():.4f}")

    hits = 0
    for chunk in batches(test_df, 64, shuffle=False):
        enc = tok(list(chunk.reactants), padding=True, truncation=True, max_length=256, return_tensors="pt")
        generated = model.generate(**enc.to(device), num_beams=5, max_new_tokens=128)
        preds = tok.batch_decode(generated, skip_special_tokens=True)
        hits += sum(canonical(p) == canonical(t) for p, t in zip(preds, chunk["product"]))
    print(f"top-1 exact match: {hits / len(test_df):.4f}")
    model.save_pretrained("t5-uspto-ft")
    tok.save_pretrained("t5-uspto-ft")


if __name__ == "__main__":
    main()
