"""Fine-tune a BERT token classifier for NER with the Hugging Face Trainer, then tag text.

The Trainer switches the model between train and eval mode itself; the tagging at the
end uses a freshly loaded checkpoint (from_pretrained returns it in eval mode).
"""
import numpy as np
import torch
from datasets import load_dataset
from transformers import (AutoModelForTokenClassification, AutoTokenizer, DataCollatorForTokenClassification,
                          Trainer, TrainingArguments, pipeline)

CKPT = "bert-base-cased"
OUT = "bert-ner-conll"


class WeightedTrainer(Trainer):
    """Down-weights the dominant 'O' label in the token loss."""

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        labels = inputs.pop("labels")
        outputs = model(**inputs)
        weight = torch.ones(outputs.logits.size(-1), device=outputs.logits.device)
        weight[0] = 0.3
        loss = torch.nn.functional.cross_entropy(outputs.logits.flatten(0, 1), labels.flatten(),
                                                 weight=weight, ignore_index=-100)
        return (loss, outputs) if return_outputs else loss


def align_labels(batch, tokenizer):
    enc = tokenizer(batch["tokens"], is_split_into_words=True, truncation=True)
    all_labels = []
    for i, tags in enumerate(batch["ner_tags"]):
        prev, labels = None, []
        for wid in enc.word_ids(i):
            labels.append(-100 if wid is None or wid == prev else tags[wid])
            prev = wid
        all_labels.append(labels)
    enc["labels"] = all_labels
    return enc


def compute_metrics(eval_pred):
    logits, labels = eval_pred
    preds = np.argmax(logits, axis=-1)
    mask = labels != -100
    return {"token_acc": float((preds[mask] == labels[mask]).mean())}


def main():
    raw = load_dataset("conll2003")
    names = raw["train"].features["ner_tags"].feature.names
    tokenizer = AutoTokenizer.from_pretrained(CKPT)
    data = raw.map(align_labels, batched=True, fn_kwargs={"tokenizer": tokenizer},
                   remove_columns=raw["train"].column_names)
    model = AutoModelForTokenClassification.from_pretrained(
        CKPT, num_labels=len(names), id2label=dict(enumerate(names)), label2id={n: i for i, n in enumerate(names)})
    args = TrainingArguments(OUT, learning_rate=3e-5, per_device_train_batch_size=16, num_train_epochs=3,
                             eval_strategy="epoch", save_strategy="epoch", load_best_model_at_end=True,
                             metric_for_best_model="token_acc", weight_decay=0.01)
    trainer = WeightedTrainer(model=model, args=args, train_dataset=data["train"], eval_dataset=data["validation"],
                              data_collator=DataCollatorForTokenClassification(tokenizer), compute_metrics=compute_metrics)
    trainer.train()
    print(trainer.evaluate(data["test"], metric_key_prefix="test"))
    test_logits = trainer.predict(data["test"]).predictions
    print("predicted entity tokens:", int((test_logits.argmax(-1) > 0).sum()))
    trainer.save_model(OUT)
    tokenizer.save_pretrained(OUT)

    ner = pipeline("token-classification", model=OUT, aggregation_strategy="simple")
    print(ner("Angela Merkel met Emmanuel Macron in Berlin."))

    tagger = AutoModelForTokenClassification.from_pretrained(OUT)
    enc = tokenizer(["Apple opened a store in Shanghai."], return_tensors="pt")
    with torch.inference_mode():
        ids = tagger(**enc).logits.argmax(-1)[0]
    print([tagger.config.id2label[int(i)] for i in ids])


if __name__ == "__main__":
    main()
