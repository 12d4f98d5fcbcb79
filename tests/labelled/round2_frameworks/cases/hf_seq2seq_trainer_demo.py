"""Fine-tune BART-base on SAMSum dialogue summarization with Seq2SeqTrainer, report ROUGE
on the test split, and print a few summaries for the model card."""
import argparse

import evaluate
import numpy as np
from datasets import load_dataset
from transformers import (AutoModelForSeq2SeqLM, AutoTokenizer, DataCollatorForSeq2Seq, Seq2SeqTrainer,
                          Seq2SeqTrainingArguments)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="facebook/bart-base")
    ap.add_argument("--out", default="bart-samsum")
    ap.add_argument("--epochs", type=int, default=3)
    args = ap.parse_args()

    tokenizer = AutoTokenizer.from_pretrained(args.model)
    model = AutoModelForSeq2SeqLM.from_pretrained(args.model)
    raw = load_dataset("knkarthick/samsum")
    rouge = evaluate.load("rouge")

    def preprocess(batch):
        enc = tokenizer(batch["dialogue"], max_length=512, truncation=True)
        enc["labels"] = tokenizer(text_target=batch["summary"], max_length=96, truncation=True)["input_ids"]
        return enc

    tokenized = raw.map(preprocess, batched=True, remove_columns=raw["train"].column_names)

    def compute_metrics(eval_pred):
        preds, labels = eval_pred
        preds = np.where(preds != -100, preds, tokenizer.pad_token_id)
        labels = np.where(labels != -100, labels, tokenizer.pad_token_id)
        decoded_preds = tokenizer.batch_decode(preds, skip_special_tokens=True)
        decoded_labels = tokenizer.batch_decode(labels, skip_special_tokens=True)
        return {k: round(v * 100, 2) for k, v in rouge.compute(predictions=decoded_preds,
                                                                references=decoded_labels).items()}

    training_args = Seq2SeqTrainingArguments(
        output_dir=args.out, eval_strategy="epoch", save_strategy="epoch", learning_rate=5e-5,
        per_device_train_batch_size=16, per_device_eval_batch_size=32, num_train_epochs=args.epochs,
        weight_decay=0.01, predict_with_generate=True, generation_max_length=96, generation_num_beams=4,
        bf16=True, report_to="none",
    )
    trainer = Seq2SeqTrainer(
        model=model, args=training_args, train_dataset=tokenized["train"],
        eval_dataset=tokenized["validation"], data_collator=DataCollatorForSeq2Seq(tokenizer, model=model),
        processing_class=tokenizer, compute_metrics=compute_metrics,
    )
    trainer.train()
    print("validation:", trainer.evaluate())
    test_output = trainer.predict(tokenized["test"], metric_key_prefix="test")
    print("test:", test_output.metrics)
    trainer.save_model(args.out)

    # a few qualitative examples for the model card
    dialogues = raw["test"]["dialogue"][:3]
    enc = tokenizer(dialogues, max_length=512, truncation=True, padding=True, return_tensors="pt").to(model.device)
    summaries = model.generate(**enc, max_new_tokens=96, num_beams=4)
    for dialogue, summary in zip(dialogues, tokenizer.batch_decode(summaries, skip_special_tokens=True)):
        print(dialogue[:200].replace("\n", " | "), "\n  ->", summary)


if __name__ == "__main__":
    main()
