"""Each translation rule on small hand-written XSD fragments."""

from __future__ import annotations

from pathlib import Path

import pytest

from printbench.datamodel.translator import (
    TranslationError,
    bbf_name,
    portable_pattern,
    short_name,
    syntax_for,
    translate,
)
from printbench.datamodel.xsd import SchemaSet, XsdError

HEAD = (
    '<?xml version="1.0"?>\n<xs:schema xmlns="urn:t" xmlns:xs="http://www.w3.org/2001/XMLSchema" '
    'targetNamespace="urn:t" elementFormDefault="qualified">\n'
)


def model(tmp_path: Path, body: str, root: str = "PrintService"):
    (tmp_path / "t.xsd").write_text(HEAD + body + "\n</xs:schema>\n")
    return translate(SchemaSet([tmp_path / "t.xsd"]).build(root))


def params(m) -> dict:
    return {path: p for path, p in m.parameters()}


def test_complex_becomes_object_and_simple_becomes_parameter(tmp_path):
    m = model(
        tmp_path,
        """<xs:element name="PrintService"><xs:complexType><xs:sequence>
             <xs:element name="PrintServiceStatus"><xs:complexType><xs:sequence>
               <xs:element name="SerialNumber" type="xs:string"/>
             </xs:sequence></xs:complexType></xs:element>
           </xs:sequence></xs:complexType></xs:element>""",
    )
    paths = [o.path for o in m.objects if "X_" not in o.path]
    assert paths == ["PrintService.{i}.", "PrintService.{i}.Status."]
    p = params(m)["PrintService.{i}.Status.SerialNumber"]
    assert p.syntax.type == "string" and p.access == "readOnly"
    assert "PWG SM element ''SerialNumber''" in p.description


def test_repeated_complex_becomes_table_with_count_and_alias_key(tmp_path):
    m = model(
        tmp_path,
        """<xs:complexType name="TrayType"><xs:sequence>
             <xs:element name="Level" type="xs:int"/></xs:sequence></xs:complexType>
           <xs:element name="PrintService"><xs:complexType><xs:sequence>
             <xs:element name="Trays"><xs:complexType><xs:sequence>
               <xs:element name="Tray" type="TrayType" maxOccurs="unbounded"/>
             </xs:sequence></xs:complexType></xs:element>
           </xs:sequence></xs:complexType></xs:element>""",
    )
    table = m.object("PrintService.{i}.Trays.Tray.{i}.")
    assert table.num_entries_parameter == "TrayNumberOfEntries"
    assert table.unique_keys == ["Alias"] and table.max_entries == "unbounded"
    ps = params(m)
    assert ps["PrintService.{i}.Trays.TrayNumberOfEntries"].syntax.type == "unsignedInt"
    assert ps["PrintService.{i}.Trays.Tray.{i}.Alias"].access == "readWrite"
    assert ps["PrintService.{i}.Trays.Tray.{i}.Level"].syntax.type == "int"


def test_repeated_simple_becomes_list(tmp_path):
    m = model(
        tmp_path,
        """<xs:element name="PrintService"><xs:complexType><xs:sequence>
             <xs:element name="Text" type="xs:string" maxOccurs="unbounded"/>
             <xs:element name="Tokens" type="xs:NMTOKENS"/>
           </xs:sequence></xs:complexType></xs:element>""",
    )
    ps = params(m)
    assert ps["PrintService.{i}.Text"].syntax.is_list
    assert ps["PrintService.{i}.Tokens"].syntax.is_list


def test_facets_enumerations_and_union_patterns(tmp_path):
    m = model(
        tmp_path,
        """<xs:simpleType name="StateWKV"><xs:restriction base="xs:NMTOKEN">
             <xs:maxLength value="255"/><xs:enumeration value="Idle"/>
             <xs:enumeration value="Down"/></xs:restriction></xs:simpleType>
           <xs:simpleType name="Ext"><xs:restriction base="xs:NMTOKEN">
             <xs:maxLength value="255"/><xs:pattern value="\\w+:[\\w_\\-\\.]+"/>
           </xs:restriction></xs:simpleType>
           <xs:element name="PrintService"><xs:complexType><xs:sequence>
             <xs:element name="State" type="StateWKV"/>
             <xs:element name="Open"><xs:simpleType><xs:union memberTypes="StateWKV Ext"/>
               </xs:simpleType></xs:element>
             <xs:element name="Name"><xs:simpleType><xs:restriction base="xs:string">
               <xs:maxLength value="127"/></xs:restriction></xs:simpleType></xs:element>
             <xs:element name="Pct"><xs:simpleType><xs:restriction base="xs:int">
               <xs:minInclusive value="0"/><xs:maxInclusive value="100"/>
             </xs:restriction></xs:simpleType></xs:element>
             <xs:element name="When" type="xs:dateTime"/>
             <xs:element name="Uri" type="xs:anyURI"/>
           </xs:sequence></xs:complexType></xs:element>""",
    )
    ps = params(m)
    state = ps["PrintService.{i}.State"].syntax
    assert state.enumerations == ("Idle", "Down") and state.max_length == 255
    union = ps["PrintService.{i}.Open"].syntax
    assert union.enumerations == () and union.patterns == ("Idle", "Down", r"\w+:[\w_\-\.]+")
    assert "extension keyword" in ps["PrintService.{i}.Open"].description
    assert ps["PrintService.{i}.Name"].syntax.max_length == 127
    pct = ps["PrintService.{i}.Pct"].syntax
    assert (pct.type, pct.min_value, pct.max_value) == ("unsignedInt", None, 100)
    assert ps["PrintService.{i}.When"].syntax.type == "dateTime"
    assert ps["PrintService.{i}.Uri"].syntax.ref == "URI"


def test_choice_branches_become_optional_parameters_with_a_note(tmp_path):
    m = model(
        tmp_path,
        """<xs:element name="PrintService"><xs:complexType><xs:choice>
             <xs:element name="A" type="xs:int"/><xs:element name="B" type="xs:string"/>
           </xs:choice></xs:complexType></xs:element>""",
    )
    ps = params(m)
    assert {"PrintService.{i}.A", "PrintService.{i}.B"} <= set(ps)
    assert "xs:choice" in ps["PrintService.{i}.A"].description


def test_extension_base_first_duplicates_dropped_and_recursion_cut(tmp_path):
    m = model(
        tmp_path,
        """<xs:complexType name="Base"><xs:sequence>
             <xs:element name="MoreInfoUri" type="xs:anyURI"/></xs:sequence></xs:complexType>
           <xs:complexType name="Node"><xs:sequence>
             <xs:element name="Name" type="xs:string"/>
             <xs:element name="Child" type="Node" minOccurs="0"/></xs:sequence></xs:complexType>
           <xs:element name="PrintService"><xs:complexType><xs:complexContent>
             <xs:extension base="Base"><xs:sequence>
               <xs:element name="MoreInfoUri" type="xs:anyURI"/>
               <xs:element name="Tree" type="Node"/>
             </xs:sequence></xs:extension></xs:complexContent></xs:complexType></xs:element>""",
    )
    ps = params(m)
    assert list(ps).count("PrintService.{i}.MoreInfoUri") == 1
    assert "PrintService.{i}.Tree.Name" in ps  # a recursive type is expanded once
    assert not any(path.startswith("PrintService.{i}.Tree.Child.") for path in ps)
    assert ("Tree.Child", "no simple content to manage (empty object)") in m.excluded


def test_mib_cross_references_kept_history_dropped(tmp_path):
    m = model(
        tmp_path,
        """<!-- 04/19/10 PJZ Fixed Power entries -->
           <!-- see prtMarkerSuppliesLevel in [RFC3805] -->
           <xs:element name="Level" type="xs:int"/>
           <xs:element name="PrintService"><xs:complexType><xs:sequence>
             <xs:element ref="Level"/></xs:sequence></xs:complexType></xs:element>""",
    )
    d = params(m)["PrintService.{i}.Level"].description
    assert "see prtMarkerSuppliesLevel in (RFC3805)" in d and "PJZ" not in d


def test_exclusions_apply(tmp_path):
    m = model(
        tmp_path,
        """<xs:element name="PrintService"><xs:complexType><xs:sequence>
             <xs:element name="JobTable"><xs:complexType><xs:sequence>
               <xs:element name="X" type="xs:int"/></xs:sequence></xs:complexType></xs:element>
             <xs:element name="Keep" type="xs:int"/>
           </xs:sequence></xs:complexType></xs:element>""",
    )
    assert not any("JobTable" in path for path, _ in m.parameters())
    assert ("JobTable", m.excluded[0][1]) == m.excluded[0]


def test_names():
    assert short_name("PrintServiceStatus") == "Status"
    assert short_name("PrintServices") == "PrintServices"  # not a prefix of a word
    assert bbf_name("media-col_x") == "MediaColX"
    with pytest.raises(TranslationError):
        bbf_name("-")


def test_name_collision_is_an_error(tmp_path):
    with pytest.raises(TranslationError, match="both become"):
        model(
            tmp_path,
            """<xs:element name="PrintService"><xs:complexType><xs:sequence>
                 <xs:element name="PrintServiceStatus" type="xs:int"/>
                 <xs:element name="Status" type="xs:int"/>
               </xs:sequence></xs:complexType></xs:element>""",
        )


def test_portable_pattern():
    assert portable_pattern(r"na_[\p{Ll}\d]+") == r"na_[a-z\d]+"
    assert portable_pattern(r"\p{Lu}x") == "[A-Z]x"


def test_syntax_for_int_and_list():
    from printbench.datamodel.xsd import SimpleInfo

    assert syntax_for(SimpleInfo(base="int"), False).type == "int"
    assert syntax_for(SimpleInfo(base="nonNegativeInteger"), True).is_list


def test_missing_include_names_the_file(tmp_path):
    (tmp_path / "t.xsd").write_text(HEAD + '<xs:include schemaLocation="nope.xsd"/></xs:schema>')
    with pytest.raises(XsdError, match=r"nope\.xsd"):
        SchemaSet([tmp_path / "t.xsd"])
