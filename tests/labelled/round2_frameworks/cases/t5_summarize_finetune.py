"""Fine-tune t5-small for news summarization; print sample summaries after every epoch
and compute ROUGE on the validation split at the end."""
import argparse

import evaluate
import torch
from datasets import load_dataset
from torch.utils.data import DataLoader
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer, DataCollatorForSeq2Seq


def build_loaders(tokenizer, model, batch_size):
    raw = load_dataset("cnn_dailymail", "3.0.0")

    def preprocess(ex):
        enc = tokenizer(["summarize: " + a for a in ex["article"]], max_length=512, truncation=True)
        enc["labels"] = tokenizer(text_target=ex["highlights"], max_length=128, truncation=True)["input_ids"]
        return enc

    cols = raw["train"].column_names
    train = raw["train"].select(range(20000)).map(preprocess, batched=True, remove_columns=cols)
    collator = DataCollatorForSeq2Seq(tokenizer, model=model)
    train_loader = DataLoader(train, batch_size=batch_size, shuffle=True, collate_fn=collator)
    return train_loader, raw["validation"].select(range(500))


def summarize(model, tokenizer, articles, device, num_beams=4):
    enc = tokenizer(["summarize: " + a for a in articles], max_length=512, truncation=True,
                    padding=True, return_tensors="pt").to(device)
    out = model.generate(**enc, max_new_tokens=96, num_beams=num_beams)
    return tokenizer.batch_decode(out, skip_special_tokens=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="t5-small")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--batch-size", type=int, default=16)
    args = ap.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    tokenizer = AutoTokenizer.from_pretrained(args.model)
    model = AutoModelForSeq2SeqLM.from_pretrained(args.model).to(device)
    train_loader, val_raw = build_loaders(tokenizer, model, args.batch_size)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr)

    for epoch in range(args.epochs):
        model.train()
        for step, batch in enumerate(train_loader):
            batch = {k: v.to(device) for k, v in batch.items()}
            loss = model(**batch).loss
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            if step % 200 == 0:
                print(f"epoch {epoch} step {step} loss {loss.item():.4f}")

        # eyeball progress on two fixed validation articles
        samples = model.generate(
            **tokenizer(["summarize: " + a for a in val_raw["article"][:2]], max_length=512, truncation=True,
                        padding=True, return_tensors="pt").to(device),
            max_new_tokens=96, num_beams=4,
        )
        for text in tokenizer.batch_decode(samples, skip_special_tokens=True):
            print(f"  sample: {text}")

    model.eval()
    rouge = evaluate.load("rouge")
    preds = []
    for i in range(0, len(val_raw), 32):
        preds.extend(summarize(model, tokenizer, val_raw["article"][i:i + 32], device))
    print(rouge.compute(predictions=preds, references=val_raw["highlights"]))
    model.save_pretrained("t5-small-cnn")


if __name__ == "__main__":
    main()
