"""Building blocks the rules use to propose fixes (see `evalguard.fixes`): where to put
a `model.eval()`, how to wrap a statement in `torch.no_grad()`, how to add a decorator,
and the `import torch` a fix may need."""
from __future__ import annotations

from typing import Optional

import libcst as cst

from evalguard.analysis import FileAnalysis, code_of, knowledge
from evalguard.fixes import NodeEdit

_EMPTY = cst.Module([])


def torch_name(analysis: FileAnalysis) -> tuple[str, list[NodeEdit]]:
    """The file's name for torch, and the edit that imports it when there is none."""
    alias = analysis.torch_alias()
    if alias is not None:
        return alias, []
    body = list(analysis.module.body)
    index = 0
    while index < len(body) and (_is_docstring(body[index]) or _is_future_import(body[index])):
        index += 1
    if index >= len(body):
        return "torch", []
    return "torch", [NodeEdit("insert_before", body[index], "import torch")]


def _is_docstring(stmt: cst.CSTNode) -> bool:
    return (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 and isinstance(stmt.body[0], cst.Expr)
            and isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString)))


def _is_future_import(stmt: cst.CSTNode) -> bool:
    return (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1
            and isinstance(stmt.body[0], cst.ImportFrom) and isinstance(stmt.body[0].module, cst.Name)
            and stmt.body[0].module.value == "__future__")


def enclosing_function(analysis: FileAnalysis, node: cst.CSTNode) -> Optional[cst.FunctionDef]:
    for a in analysis.ancestors(node):
        if isinstance(a, cst.FunctionDef):
            return a
    return None


def in_comprehension(analysis: FileAnalysis, node: cst.CSTNode) -> bool:
    for a in analysis.ancestors(node):
        if isinstance(a, (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp, cst.Lambda)):
            return True
        if isinstance(a, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            return False
    return False


def first_body_statement(block: cst.BaseSuite) -> Optional[cst.CSTNode]:
    """The first statement of an indented block, after a docstring."""
    if not isinstance(block, cst.IndentedBlock) or not block.body:
        return None
    stmts = list(block.body)
    if _is_docstring(stmts[0]) and len(stmts) > 1:
        return stmts[1]
    return None if _is_docstring(stmts[0]) else stmts[0]


def root_name(expr_text: str) -> str:
    return expr_text.split(".")[0].split("[")[0].split("(")[0]


def parameters(func: cst.FunctionDef) -> set[str]:
    p = func.params
    return {x.name.value for x in (*p.posonly_params, *p.params, *p.kwonly_params)}


def is_inference_function(func: Optional[cst.FunctionDef]) -> bool:
    return func is not None and knowledge.is_inference_function_name(func.name.value)


def outermost_block_keeping(analysis: FileAnalysis, node: cst.CSTNode, name: str) -> cst.CSTNode:
    """The outermost loop / `with` / `if` around `node` (in its function) that does not
    assign `name`: a statement put before it sees the same object (and runs once)."""
    best = node
    for a in analysis.ancestors(node):
        if isinstance(a, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            break
        if isinstance(a, (cst.For, cst.While, cst.With, cst.If, cst.Try)):
            if _assigns(a, name):
                break
            best = a
    return best


def _assigns(node: cst.CSTNode, name: str) -> bool:
    from evalguard.analysis import walk

    for n in walk(node):
        targets = []
        if isinstance(n, cst.Assign):
            targets = [t.target for t in n.targets]
        elif isinstance(n, (cst.AnnAssign, cst.AugAssign)):
            targets = [n.target]
        elif isinstance(n, cst.For):
            targets = [n.target]
        elif isinstance(n, cst.WithItem) and n.asname is not None:
            targets = [n.asname.name]
        for t in targets:
            if any(isinstance(x, cst.Name) and x.value == name for x in walk(t)):
                return True
    return False


def line_before(analysis: FileAnalysis, node: cst.CSTNode, text: str) -> Optional[NodeEdit]:
    stmt = analysis.statement_of(node)
    return NodeEdit("insert_before", stmt, text) if stmt is not None else None


def line_after(analysis: FileAnalysis, node: cst.CSTNode, text: str) -> Optional[NodeEdit]:
    stmt = analysis.statement_of(node)
    return NodeEdit("insert_after", stmt, text) if stmt is not None else None


def wrap_in_no_grad(analysis: FileAnalysis, node: cst.CSTNode, torch: str) -> Optional[NodeEdit]:
    """`with torch.no_grad():` around the simple statement that holds `node`."""
    stmt = analysis.statement_of(node)
    if not isinstance(stmt, cst.SimpleStatementLine):
        return None
    body = "; ".join(_EMPTY.code_for_node(small).strip() for small in stmt.body)
    if '"""' in body or "'''" in body:
        return None  # re-indenting would change a multi-line string
    indented = body.replace("\n", "\n    ")
    return NodeEdit("replace_statement", stmt, f"with {torch}.no_grad():\n    {indented}")


def is_expression_statement(analysis: FileAnalysis, call: cst.Call) -> bool:
    stmt = analysis.statement_of(call)
    return (isinstance(stmt, cst.SimpleStatementLine) and len(stmt.body) == 1 and isinstance(stmt.body[0], cst.Expr)
            and stmt.body[0].value is call)


def call_with_keyword(call: cst.Call, keyword: str, value: str) -> str:
    """The call's text with `keyword=value` added as its last argument."""
    args = list(call.args)
    new = cst.Arg(value=cst.parse_expression(value), keyword=cst.Name(keyword),
                  equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")))
    if args:
        last = args[-1]
        if isinstance(last.comma, cst.Comma):  # a trailing comma: keep the style
            new = new.with_changes(comma=last.comma)
        else:
            args[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    args.append(new)
    return _EMPTY.code_for_node(call.with_changes(args=args))


def call_without_keyword(call: cst.Call, keyword: str) -> str:
    args = [a for a in call.args if not (a.keyword is not None and a.keyword.value == keyword)]
    if args and not isinstance(call.args[-1].comma, cst.Comma):
        args[-1] = args[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT)
    return _EMPTY.code_for_node(call.with_changes(args=args))


__all__ = [
    "torch_name", "enclosing_function", "in_comprehension", "first_body_statement", "root_name", "parameters",
    "is_inference_function", "line_before", "line_after", "wrap_in_no_grad", "call_with_keyword",
    "call_without_keyword", "code_of", "is_expression_statement",
]
