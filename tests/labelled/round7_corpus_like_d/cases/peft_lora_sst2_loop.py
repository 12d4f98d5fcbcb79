"""LoRA fine-tuning of RoBERTa on SST-2 with peft and a hand-written loop."""
import argparse

import torch
from datasets import load_dataset
from peft import LoraConfig, TaskType, get_peft_model
from torch.utils.data import DataLoader
from transformers import (AutoModelForSequenceClassification, AutoTokenizer, DataCollatorWithPadding,
                          get_linear_schedule_with_warmup)


def build_loaders(tokenizer, batch_size):
    raw = load_dataset("glue", "sst2")
    enc = raw.map(lambda b: tokenizer(b["sentence"], truncation=True, max_length=128), batched=True)
    enc = enc.remove_columns(["sentence", "idx"]).rename_column("label", "labels")
    collate = DataCollatorWithPadding(tokenizer)
    train_loader = DataLoader(enc["train"], batch_size=batch_size, shuffle=True, collate_fn=collate)
    eval_loader = DataLoader(enc["validation"], batch_size=128, collate_fn=collate)
    return train_loader, eval_loader


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="roberta-base")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--output-dir", default="roberta-sst2-lora")
    args = ap.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

    tokenizer = AutoTokenizer.from_pretrained(args.model)
    base = AutoModelForSequenceClassification.from_pretrained(args.model, num_labels=2)
    lora = LoraConfig(task_type=TaskType.SEQ_CLS, r=8, lora_alpha=16, lora_dropout=0.1, inference_mode=False)
    model = get_peft_model(base, lora).to(device)
    model.print_trainable_parameters()

    train_loader, eval_loader = build_loaders(tokenizer, 32)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=args.lr)
    total = len(train_loader) * args.epochs
    scheduler = get_linear_schedule_with_warmup(optimizer, int(0.06 * total), total)

    for epoch in range(args.epochs):
        for step, batch in enumerate(train_loader):
            batch = {k: v.to(device) for k, v in batch.items()}
            outputs = model(**batch)
            outputs.loss.backward()
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            if step % 200 == 0:
                print(f"epoch {epoch} step {step} loss {outputs.loss.item():.4f}")

        model.eval()
        correct = n = 0
        for batch in eval_loader:
            batch = {k: v.to(device) for k, v in batch.items()}
            logits = model(**batch).logits
            correct += (logits.argmax(-1) == batch["labels"]).sum().item()
            n += batch["labels"].numel()
        print(f"epoch {epoch}: validation accuracy {correct / n:.4f}")

    model.save_pretrained(args.output_dir)


if __name__ == "__main__":
    main()
