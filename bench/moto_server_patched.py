"""moto_server for the scale benchmark, with two patches (named in BENCHMARKS.md).

moto 5.x backs up a DynamoDB table before a TransactWriteItems by deep-copying
the whole table, once per item of the transaction (moto/dynamodb/models/
__init__.py, `transact_write_items`). Every fenced write of the controller is a
transaction, so with N jobs each write costs O(N) in moto: applying 1,000 specs
took 155 s and a first deploy of 1,000 jobs did not finish in 15 minutes.

Patch 1 keeps the semantics (all conditions are checked against the state
before the transaction, items are unique per transaction, all or nothing) but
backs up only the items the transaction touches.

Patch 2: a Query on the table's own key gathers the candidates by sorting every
item of the table (`Table.all_items`) and filtering them by partition key, so
each per-job query (revisions, runs, audit) costs O(table size log size). The
patch hands `Table.query` just the queried partition's items, already stored
by partition key; filtering, sorting and paging are moto's own as before.

Nothing else is changed. The test suite uses plain moto; only scripts/bench.sh
starts this one.
"""

import copy
import re
import sys
import threading

from moto.dynamodb.comparisons import get_filter_expression
from moto.dynamodb.exceptions import (
    ConditionalCheckFailed,
    MultipleTransactionsException,
    TooManyTransactionsException,
    TransactionCanceledException,
    TransactWriteSingleOpException,
)
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table
from moto.server import main

OPS = {"ConditionCheck", "Put", "Delete", "Update"}


def _key(backend, op_type, op):
    if op_type != "Put":
        return op["Key"]
    attrs = op["Item"]
    table = backend.get_table(op["TableName"])
    key = {table.hash_key_attr: attrs[table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = attrs[table.range_key_attr]
    return key


def _check(backend, ops):
    """Phase 1: every condition against the state before the transaction."""
    seen = set()
    errors = []
    for op_type, op, key in ops:
        unique = (str(op["TableName"]), str(dict(sorted(key.items()))))
        if unique in seen:
            raise MultipleTransactionsException()
        seen.add(unique)
        old = None
        try:
            current = backend.get_item(op["TableName"], key)
            expr = op.get("ConditionExpression")
            if expr is not None:
                cond = get_filter_expression(
                    expr,
                    op.get("ExpressionAttributeNames"),
                    op.get("ExpressionAttributeValues"),
                )
                if not cond.expr(current):
                    if op.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and current:
                        old = current.to_json()["Attributes"]
                    raise ConditionalCheckFailed(item=old)
            errors.append((None, None, None))
        except ConditionalCheckFailed as e:
            errors.append(("ConditionalCheckFailed", str(e.message), old))
        except Exception as e:  # noqa: BLE001 (moto reports every failure per item)
            errors.append((type(e).__name__, str(e), old))
    return errors


def _apply(backend, op_type, op, key):
    table = op["TableName"]
    names = op.get("ExpressionAttributeNames")
    values = op.get("ExpressionAttributeValues")
    if op_type == "Put":
        backend.put_item(table, op["Item"], expression_attribute_names=names,
                         expression_attribute_values=values)
    elif op_type == "Delete":
        backend.delete_item(table, key, expression_attribute_names=names,
                            expression_attribute_values=values)
    elif op_type == "Update":
        backend.update_item(table, key, update_expression=op["UpdateExpression"],
                            expression_attribute_names=names,
                            expression_attribute_values=values)


def transact_write_items(self, transact_items):
    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    ops = []
    for item in transact_items:
        if len(item) > 1:
            raise TransactWriteSingleOpException
        op_type, op = next(iter(item.items()))
        if op_type not in OPS:
            raise ValueError("Unsupported transaction operation")
        ops.append((op_type, op, _key(self, op_type, op)))
    errors = _check(self, ops)
    if any(code is not None for code, _, _ in errors):
        raise TransactionCanceledException(errors)
    # Phase 2: back up just the touched items, then write.
    backups = [(op["TableName"], key, copy.deepcopy(self.get_item(op["TableName"], key)))
               for op_type, op, key in ops if op_type != "ConditionCheck"]
    try:
        for op_type, op, key in ops:
            _apply(self, op_type, op, key)
    except Exception:
        for table, key, old in backups:
            if old is None:
                self.delete_item(table, key)
            else:
                self.put_item(table, old.to_json()["Attributes"])
        raise


_partition = threading.local()
_query = Table.query
_all_items = Table.all_items


def query(self, hash_key, *args, **kwargs):
    index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
    if index_name is None and self.range_key_attr and hash_key is not None:
        _partition.key = hash_key
    try:
        return _query(self, hash_key, *args, **kwargs)
    finally:
        _partition.key = None


def all_items(self):
    key = getattr(_partition, "key", None)
    if key is None:
        return _all_items(self)
    return sorted(self.items.get(key, {}).values(), key=lambda x: x.range_key)


DynamoDBBackend.transact_write_items = transact_write_items
Table.query = query
Table.all_items = all_items

if __name__ == "__main__":
    sys.argv[0] = re.sub(r"(-script\.pyw|\.exe)?$", "", sys.argv[0])
    sys.exit(main())
