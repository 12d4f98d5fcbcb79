"""Fine-tune t5-small on (article, highlights) pairs and print a few dev-set summaries."""
import argparse

import pandas as pd
import torch
from torch.utils.data import DataLoader
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer, get_cosine_schedule_with_warmup


def make_collate(tokenizer, max_src=512, max_tgt=96):
    def collate(rows):
        articles, summaries = zip(*rows)
        enc = tokenizer(["summarize: " + a for a in articles], max_length=max_src, truncation=True,
                        padding=True, return_tensors="pt")
        labels = tokenizer(list(summaries), max_length=max_tgt, truncation=True, padding=True,
                           return_tensors="pt").input_ids
        labels[labels == tokenizer.pad_token_id] = -100
        enc["labels"] = labels
        return enc
    return collate


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", default="news_train.csv")
    ap.add_argument("--dev", default="news_dev.csv")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--out", default="t5-news")
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"

    tokenizer = AutoTokenizer.from_pretrained("t5-small")
    model = AutoModelForSeq2SeqLM.from_pretrained("t5-small").to(device)
    train_df, dev_df = pd.read_csv(args.train), pd.read_csv(args.dev)
    loader = DataLoader(list(zip(train_df.article, train_df.highlights)), batch_size=16, shuffle=True,
                        collate_fn=make_collate(tokenizer))
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr)
    scheduler = get_cosine_schedule_with_warmup(optimizer, 200, args.epochs * len(loader))

    for epoch in range(args.epochs):
        model.train()
        for step, batch in enumerate(loader):
            loss = model(**batch.to(device)).loss
            loss.backward()
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            if step % 200 == 0:
                print(f"epoch {epoch} step {step} loss {loss.item():.4f}")

    for article, reference in zip(dev_df.article[:5], dev_df.highlights[:5]):
        enc = tokenizer("summarize: " + article, max_length=512, truncation=True, return_tensors="pt").to(device)
        summary_ids = model.generate(**enc, num_beams=4, max_new_tokens=80)
        print("PRED:", tokenizer.decode(summary_ids[0], skip_special_tokens=True))
        print("REF: ", reference, "\n")
    model.save_pretrained(args.out)
    tokenizer.save_pretrained(args.out)


if __name__ == "__main__":
    main()
