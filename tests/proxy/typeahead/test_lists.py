"""A team's files read and checked (records.py, folder.py), and the packed form's lookup (packed.py)
against the plain definition: every record whose folded name starts with the folded prefix, in order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spiff_lambda_proxy.typeahead.folder import list_files
from spiff_lambda_proxy.typeahead.matching import fold
from spiff_lambda_proxy.typeahead.packed import BLOCK, NAME_SHAPE, RESULT_SHAPE, FormatError, PackedList, pack
from spiff_lambda_proxy.typeahead.records import ListError, TypeaheadList, read_list


def read(text: str | bytes, kind: str, source: str = "typeahead/things." + "csv") -> TypeaheadList:
    return read_list(text if isinstance(text, bytes) else text.encode(), kind, source)


def answers(typeahead_list: TypeaheadList, prefix: str, limit: int = 100) -> list[object]:
    return [json.loads(record) for record in PackedList(pack(typeahead_list)).lookup(fold(prefix), limit)]


class TestCsv:
    def test_columns_become_text_fields_with_the_name_first(self) -> None:
        records = read("id,name,active\n7,Acme,true\n", "csv")
        assert answers(records, "a") == [{"name": "Acme", "id": "7", "active": "true"}]

    def test_quoted_values_byte_order_mark_and_blank_lines(self) -> None:
        text = '\ufeffname,note\n"Smith, Jones","says ""hi""\nand more"\n\nZed,\n'
        assert answers(read(text, "csv"), "") == [
            {"name": "Smith, Jones", "note": 'says "hi"\nand more'},
            {"name": "Zed", "note": ""},
        ]

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("id,label\n1,a\n", "the header row (line 1) must have a column called name; it has id, label"),
            ("", "the header row (line 1) must have a column called name; it has nothing"),
            ("name,id,id\nx,1,2\n", "names the column id twice"),
            ("name,,x\na,b,c\n", "column 2 of the header row (line 1) has no name"),
            (
                "name,id\nAcme,1\nBeta\n",
                "typeahead/things.csv, line 3: 1 values, but the header row has 2 columns",
            ),
            ("name,id\nAcme,1,extra\n", "line 2: 3 values"),
            ('name,id\n"Acme,1\n', "line 2: not valid CSV"),
            ("name,id\n,1\n", "line 2: its 'name' is empty"),
            (b"name\n\xff\xfe\n", "is not UTF-8 text (line 2, byte 6)"),
        ],
    )
    def test_a_bad_file_names_the_file_and_the_line(self, text: str | bytes, message: str) -> None:
        with pytest.raises(ListError) as raised:
            read(text, "csv")
        assert message in str(raised.value) and "typeahead/things.csv" in str(raised.value)


class TestJson:
    def test_records_keep_their_fields_and_values_of_any_json_type(self) -> None:
        text = json.dumps([{"id": 1, "name": "Ünïcode \ud83d\ude00", "tags": ["a"], "x": None}])
        assert answers(read(text, "json"), "üNï") == [
            {"name": "Ünïcode 😀", "id": 1, "tags": ["a"], "x": None}
        ]

    def test_names_with_quotes_backslashes_line_breaks_and_lone_surrogates_survive(self) -> None:
        odd = ['say "hi"', "back\\slash", "two\nlines", "lone \ud800 surrogate", "tab\there"]
        text = json.dumps([{"name": name} for name in odd])
        found = [record["name"] for record in answers(read(text, "json"), "")]  # type: ignore[index]
        assert sorted(found) == sorted(odd)
        assert [r["name"] for r in answers(read(text, "json"), 'SAY "')] == ['say "hi"']  # type: ignore[index]

    def test_the_data_store_shape(self) -> None:
        rows = [{"search_term": "b", "result": {"v": 2}}, {"search_term": "A", "result": "plain"}]
        typeahead_list = read(json.dumps(rows), "json")
        assert typeahead_list.shape == RESULT_SHAPE
        assert answers(typeahead_list, "") == ["plain", {"v": 2}]

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ('{"name": "x"}', 'must be a JSON array of records (objects with a text "name"), not an object'),
            ("[1", "is not valid JSON: Expecting ',' delimiter (line 1, column 3)"),
            ('[{"name": NaN}]', "is not valid JSON: NaN is not a JSON value"),
            ('[{"name": "a"}, "b"]', "record 2 is text, not an object"),
            ('[{"name": "a"}, {"id": 2}]', "record 2 has no 'name'"),
            ('[{"name": 5}]', "record 1: its 'name' is a number, not text"),
            ('[{"name": ""}]', "record 1: its 'name' is empty"),
            ('[{"search_term": "a", "result": 1}, {"search_term": "b"}]', "record 2 has no 'result'"),
            ('[{"search_term": 3, "result": 1}]', "record 1: its 'search_term' is a number, not text"),
            (
                '[{"name": "a"}, {"search_term": "b", "result": 1}]',
                "record 2 has no 'name' (a data store row",
            ),
        ],
    )
    def test_a_bad_file_names_the_file_and_the_record(self, text: str, message: str) -> None:
        with pytest.raises(ListError) as raised:
            read(text, "json", "typeahead/things.json")
        assert message in str(raised.value) and "typeahead/things.json" in str(raised.value)


class TestFolder:
    def test_lists_by_category_skipping_readmes_and_hidden_files(self, tmp_path: Path) -> None:
        for name in ("a.csv", "B-2.JSON", "README.md", ".DS_Store", "x.csv~"):
            (tmp_path / name).write_text("")
        found = list_files(str(tmp_path), "typeahead")
        assert {name: (f.kind, f.shown) for name, f in found.items()} == {
            "a": ("csv", "typeahead/a.csv"),
            "B-2": ("json", "typeahead/B-2.JSON"),
        }

    def test_a_missing_folder_holds_no_lists(self, tmp_path: Path) -> None:
        assert list_files(str(tmp_path / "none"), "typeahead") == {}

    @pytest.mark.parametrize(
        ("names", "message"),
        [
            (["notes.txt"], "typeahead/notes.txt is not a list"),
            (["a.csv", "a.json"], "typeahead/a.csv and typeahead/a.json are both the list a"),
            (["my list.csv"], "'my list' cannot be a category name"),
            (["-x.csv"], "'-x' cannot be a category name"),
            (["café.csv"], "'café' cannot be a category name"),
        ],
    )
    def test_a_file_that_cannot_be_a_list_is_named(
        self, tmp_path: Path, names: list[str], message: str
    ) -> None:
        for name in names:
            (tmp_path / name).write_text("name\nx\n")
        with pytest.raises(ListError, match=message):
            list_files(str(tmp_path), "typeahead")


class TestPacked:
    def test_repeated_records_are_answered_once(self) -> None:
        typeahead_list = read("name,state\nA,x\nA,x\nA,y\n", "csv")
        assert answers(typeahead_list, "a") == [{"name": "A", "state": "x"}, {"name": "A", "state": "y"}]

    def test_an_empty_list_and_a_limit_of_nothing(self) -> None:
        assert answers(TypeaheadList(NAME_SHAPE, []), "") == []
        assert answers(read("name\na\n", "csv"), "", limit=0) == []

    def test_something_else_is_refused(self) -> None:
        with pytest.raises(FormatError):
            PackedList(b"name\nthis is a CSV file, not a packed list\n")

    def test_a_fold_that_changes_length_matches_both_ways(self) -> None:
        typeahead_list = read("name\nStraße\nStrasse\nStrand\n", "csv")
        assert [r["name"] for r in answers(typeahead_list, "STRASS")] == ["Strasse", "Straße"]  # type: ignore[index]
        # Composed and decomposed accents are one character to someone typing.
        assert answers(read("name\nJosé\n", "csv"), "jose\u0301") == [{"name": "José"}]


_names = st.text(alphabet=st.sampled_from("aAbBéÉß _%-z\u0301İ1"), min_size=1, max_size=6)


@settings(max_examples=60, deadline=None)
@given(
    names=st.lists(_names, max_size=4 * BLOCK),
    prefix=st.text(alphabet=st.sampled_from("aAbBéÉßs _%z\u0301İ"), max_size=3),
    limit=st.integers(1, 3 * BLOCK),
)
def test_a_lookup_is_the_sorted_filter_of_the_list(names: list[str], prefix: str, limit: int) -> None:
    typeahead_list = TypeaheadList(NAME_SHAPE, read("name\n" + "\n".join(names) + "\n", "csv").items)
    expected = sorted(
        {name for name in names if fold(name).startswith(fold(prefix))}, key=lambda name: (fold(name), name)
    )[:limit]
    assert [r["name"] for r in answers(typeahead_list, prefix, limit)] == expected  # type: ignore[index]
