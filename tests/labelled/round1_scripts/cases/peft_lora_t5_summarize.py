"""LoRA fine-tuning of flan-t5-base for short summaries with peft and a plain PyTorch loop.
Note: LoraConfig(inference_mode=False) is a peft config flag, not torch.inference_mode."""
import argparse

import torch
from datasets import load_dataset
from peft import LoraConfig, TaskType, get_peft_model
from torch.utils.data import DataLoader
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer, default_data_collator, get_linear_schedule_with_warmup


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="google/flan-t5-base")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--out", default="t5-lora-summ")
    args = ap.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"

    tokenizer = AutoTokenizer.from_pretrained(args.model)
    model = AutoModelForSeq2SeqLM.from_pretrained(args.model)
    peft_config = LoraConfig(task_type=TaskType.SEQ_2_SEQ_LM, inference_mode=False, r=16, lora_alpha=32,
                             lora_dropout=0.1, target_modules=["q", "v"])
    model = get_peft_model(model, peft_config)
    model.print_trainable_parameters()
    model.to(device)

    raw = load_dataset("samsum")

    def preprocess(batch):
        enc = tokenizer(batch["dialogue"], max_length=512, padding="max_length", truncation=True)
        labels = tokenizer(batch["summary"], max_length=64, padding="max_length", truncation=True)["input_ids"]
        enc["labels"] = [[t if t != tokenizer.pad_token_id else -100 for t in seq] for seq in labels]
        return enc

    ds = raw.map(preprocess, batched=True, remove_columns=raw["train"].column_names)
    train_loader = DataLoader(ds["train"], shuffle=True, collate_fn=default_data_collator, batch_size=8)
    eval_loader = DataLoader(ds["validation"], collate_fn=default_data_collator, batch_size=16)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr)
    scheduler = get_linear_schedule_with_warmup(optimizer, 100, len(train_loader) * args.epochs)

    for epoch in range(args.epochs):
        model.train()
        total = 0.0
        for batch in train_loader:
            batch = {k: v.to(device) for k, v in batch.items()}
            loss = model(**batch).loss
            loss.backward()
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            total += loss.item()

        model.eval()
        preds, refs = [], []
        for batch in eval_loader:
            with torch.no_grad():
                generated = model.generate(input_ids=batch["input_ids"].to(device),
                                           attention_mask=batch["attention_mask"].to(device), max_new_tokens=64)
            preds += tokenizer.batch_decode(generated.cpu().numpy(), skip_special_tokens=True)
            refs += tokenizer.batch_decode(torch.where(batch["labels"] == -100, tokenizer.pad_token_id,
                                                       batch["labels"]), skip_special_tokens=True)
        exact = sum(p.strip() == r.strip() for p, r in zip(preds, refs)) / len(refs)
        print(f"epoch {epoch}: train loss {total / len(train_loader):.4f} exact match {exact:.4f}")
        print("sample:", preds[0])

    model.save_pretrained(args.out)


if __name__ == "__main__":
    main()
