"""Fine-tune t5-small for news summarization with a hand-written loop (bf16 autocast,
gradient accumulation); validation loss and ROUGE-L from beam-search summaries each epoch."""
import argparse

import evaluate
import torch
from datasets import load_dataset
from torch.utils.data import DataLoader
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer, DataCollatorForSeq2Seq, get_cosine_schedule_with_warmup


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="t5-small")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--accum", type=int, default=8)
    ap.add_argument("--lr", type=float, default=3e-4)
    args = ap.parse_args()
    device = torch.device("cuda")

    tok = AutoTokenizer.from_pretrained(args.model)
    model = AutoModelForSeq2SeqLM.from_pretrained(args.model).to(device)
    raw = load_dataset("cnn_dailymail", "3.0.0")

    def preprocess(batch):
        enc = tok(["summarize: " + a for a in batch["article"]], max_length=512, truncation=True)
        enc["labels"] = tok(text_target=batch["highlights"], max_length=128, truncation=True)["input_ids"]
        return enc

    cols = raw["train"].column_names
    train_ds = raw["train"].select(range(50000)).map(preprocess, batched=True, remove_columns=cols)
    val_ds = raw["validation"].select(range(1000)).map(preprocess, batched=True, remove_columns=cols)
    collate = DataCollatorForSeq2Seq(tok, model=model)
    train_loader = DataLoader(train_ds, batch_size=8, shuffle=True, collate_fn=collate)
    val_loader = DataLoader(val_ds, batch_size=32, collate_fn=collate)

    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr)
    steps = args.epochs * len(train_loader) // args.accum
    scheduler = get_cosine_schedule_with_warmup(optimizer, steps // 20, steps)
    rouge = evaluate.load("rouge")

    for epoch in range(args.epochs):
        model.train()
        for step, batch in enumerate(train_loader):
            batch = {k: v.to(device) for k, v in batch.items()}
            with torch.autocast("cuda", dtype=torch.bfloat16):
                loss = model(**batch).loss / args.accum
            loss.backward()
            if (step + 1) % args.accum == 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad()

        val_loss, preds, refs = 0.0, [], []
        for batch in val_loader:
            batch = {k: v.to(device) for k, v in batch.items()}
            out = model(**batch)
            val_loss += out.loss.item()
            summaries = model.generate(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                                       max_new_tokens=128, num_beams=4)
            preds += tok.batch_decode(summaries, skip_special_tokens=True)
            labels = batch["labels"].masked_fill(batch["labels"] == -100, tok.pad_token_id)
            refs += tok.batch_decode(labels, skip_special_tokens=True)
        scores = rouge.compute(predictions=preds, references=refs)
        print(f"epoch {epoch}: val loss {val_loss / len(val_loader):.4f} ROUGE-L {scores['rougeL']:.4f}")
        model.save_pretrained(f"t5-cnndm-epoch{epoch}")


if __name__ == "__main__":
    main()
