"""Task-specific knowledge distillation on SST-2: a fine-tuned BERT-base teacher supervises a
DistilBERT student (soft targets at temperature T + hard labels). Mixed precision and
gradient accumulation in a hand-written loop."""
import argparse

import torch
import torch.nn.functional as F
from datasets import load_dataset
from torch.utils.data import DataLoader
from transformers import AutoModelForSequenceClassification, AutoTokenizer, DataCollatorWithPadding, get_linear_schedule_with_warmup


def kd_loss(student_logits, teacher_logits, labels, T=2.0, alpha=0.5):
    soft = F.kl_div(F.log_softmax(student_logits / T, -1), F.softmax(teacher_logits / T, -1), reduction="batchmean")
    return alpha * soft * T * T + (1 - alpha) * F.cross_entropy(student_logits, labels)


def evaluate(model, loader, device):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for batch in loader:
            batch = {k: v.to(device) for k, v in batch.items()}
            preds = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits.argmax(-1)
            correct += (preds == batch["labels"]).sum().item()
            total += preds.numel()
    return correct / total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--teacher", default="./checkpoints/bert-base-sst2")
    ap.add_argument("--student", default="distilbert-base-uncased")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--accum", type=int, default=4)
    ap.add_argument("--lr", type=float, default=5e-5)
    args = ap.parse_args()
    device = torch.device("cuda")

    tok = AutoTokenizer.from_pretrained(args.student)
    ds = load_dataset("glue", "sst2").map(lambda b: tok(b["sentence"], truncation=True, max_length=128), batched=True)
    ds = ds.rename_column("label", "labels").remove_columns(["sentence", "idx"])
    collate = DataCollatorWithPadding(tok)
    train_loader = DataLoader(ds["train"], batch_size=32, shuffle=True, collate_fn=collate)
    val_loader = DataLoader(ds["validation"], batch_size=128, collate_fn=collate)

    teacher = AutoModelForSequenceClassification.from_pretrained(args.teacher).to(device)
    teacher.requires_grad_(False)
    student = AutoModelForSequenceClassification.from_pretrained(args.student, num_labels=2).to(device)

    optimizer = torch.optim.AdamW(student.parameters(), lr=args.lr, weight_decay=0.01)
    total = args.epochs * len(train_loader) // args.accum
    scheduler = get_linear_schedule_with_warmup(optimizer, int(0.06 * total), total)
    scaler = torch.cuda.amp.GradScaler()

    print(f"teacher dev acc {evaluate(teacher, val_loader, device):.4f}")
    for epoch in range(args.epochs):
        for step, batch in enumerate(train_loader):
            batch = {k: v.to(device) for k, v in batch.items()}
            inputs = {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"]}
            with torch.autocast("cuda", dtype=torch.float16):
                with torch.no_grad():
                    t_logits = teacher(**inputs).logits
                s_logits = student(**inputs).logits
                loss = kd_loss(s_logits.float(), t_logits.float(), batch["labels"]) / args.accum
            scaler.scale(loss).backward()
            if (step + 1) % args.accum == 0:
                scaler.unscale_(optimizer)
                torch.nn.utils.clip_grad_norm_(student.parameters(), 1.0)
                scaler.step(optimizer)
                scaler.update()
                optimizer.zero_grad(set_to_none=True)
                scheduler.step()
        print(f"epoch {epoch}: student dev acc {evaluate(student, val_loader, device):.4f}")
    student.save_pretrained("./checkpoints/distilbert-sst2-kd")
    tok.save_pretrained("./checkpoints/distilbert-sst2-kd")


if __name__ == "__main__":
    main()
