package importer

import (
	"fmt"
	"io"
	"strings"

	"github.com/roster/roster/internal/directory"
	"github.com/xuri/excelize/v2"
)

// templateSheet names the users sheet of the XLSX template and export; the
// importer reads the sheet of that name when a workbook has several.
const templateSheet = "Users"

// templateRows bounds the rows the XLSX template formats as text and
// offers drop-downs on.
const templateRows = 200_001

// WriteTemplate writes the import template of an organization: the header
// (built-in columns, then one per custom property) and an example row. The
// XLSX template formats every column as text (so that Excel keeps leading
// zeros and does not turn values into dates), offers drop-downs for roles,
// auth methods and booleans, and explains each column on a second sheet.
func WriteTemplate(w io.Writer, format Format, org *directory.Org) error {
	header := templateHeader(org)
	example := templateExample(org)
	if format != XLSX {
		sw, err := newSheetWriter(w, CSV, templateSheet, header)
		if err != nil {
			return err
		}
		if err := sw.write(example); err != nil {
			return err
		}
		return sw.close()
	}
	book := excelize.NewFile()
	defer book.Close()
	if err := buildTemplateBook(book, org, header, example); err != nil {
		return directory.Internal(fmt.Errorf("importer: template: %w", err))
	}
	return book.Write(w)
}

func templateExample(org *directory.Org) []string {
	row := make([]string, 0, len(standardColumns)+len(org.UserProperties))
	for _, sc := range standardColumns {
		row = append(row, sc.example)
	}
	row = append(row, "")
	for _, p := range org.UserProperties {
		row = append(row, propertyExample(p))
	}
	return row
}

func propertyExample(p directory.PropertyDef) string {
	switch p.Type {
	case directory.PropertyNumber:
		return "42"
	case directory.PropertyBoolean:
		return "true"
	case directory.PropertyDate:
		return "2024-01-31"
	}
	return "text"
}

func propertyHelp(p directory.PropertyDef) string {
	kind := map[directory.PropertyType]string{
		directory.PropertyString:  "text",
		directory.PropertyNumber:  "a number",
		directory.PropertyBoolean: "true or false",
		directory.PropertyDate:    "a date, YYYY-MM-DD",
	}[p.Type]
	help := fmt.Sprintf("Custom property %q: %s.", p.Label, kind)
	if p.Label == "" {
		help = fmt.Sprintf("Custom property: %s.", kind)
	}
	if p.Required {
		help += " Required for new users."
	}
	return help
}

func buildTemplateBook(book *excelize.File, org *directory.Org, header, example []string) error {
	if err := book.SetSheetName(book.GetSheetName(0), templateSheet); err != nil {
		return err
	}
	text, err := book.NewStyle(&excelize.Style{NumFmt: 49}) // "@": text
	if err != nil {
		return err
	}
	bold, err := book.NewStyle(&excelize.Style{NumFmt: 49, Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	last, err := excelize.ColumnNumberToName(len(header))
	if err != nil {
		return err
	}
	if err := book.SetColStyle(templateSheet, "A:"+last, text); err != nil {
		return err
	}
	if err := book.SetColWidth(templateSheet, "A", last, 20); err != nil {
		return err
	}
	if err := book.SetSheetRow(templateSheet, "A1", &header); err != nil {
		return err
	}
	if err := book.SetCellStyle(templateSheet, "A1", last+"1", bold); err != nil {
		return err
	}
	if err := book.SetSheetRow(templateSheet, "A2", &example); err != nil {
		return err
	}
	if err := book.SetPanes(templateSheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	lists := map[string][]string{
		"role":       {"user", "org_admin", "org_viewer", "billing_admin"},
		"authMethod": {"local", "sso"},
	}
	for _, p := range org.UserProperties {
		if p.Type == directory.PropertyBoolean {
			lists[propertyHeader(p)] = []string{"true", "false"}
		}
	}
	for i, h := range header {
		keys, ok := lists[h]
		if !ok {
			continue
		}
		col, err := excelize.ColumnNumberToName(i + 1)
		if err != nil {
			return err
		}
		dv := excelize.NewDataValidation(true)
		dv.SetSqref(fmt.Sprintf("%s2:%s%d", col, col, templateRows))
		if err := dv.SetDropList(keys); err != nil {
			return err
		}
		if err := book.AddDataValidation(templateSheet, dv); err != nil {
			return err
		}
	}
	return writeInstructions(book, org, bold)
}

// writeInstructions adds the sheet that explains each column.
func writeInstructions(book *excelize.File, org *directory.Org, bold int) error {
	const sheet = "Instructions"
	if _, err := book.NewSheet(sheet); err != nil {
		return err
	}
	rows := [][]string{
		{"Column", "Description"},
	}
	for _, sc := range standardColumns {
		rows = append(rows, []string{sc.header, sc.help})
	}
	rows = append(rows, []string{servicesHeader, servicesHelp})
	for _, p := range org.UserProperties {
		rows = append(rows, []string{propertyHeader(p), propertyHelp(p)})
	}
	rows = append(rows,
		[]string{"", ""},
		[]string{"Rows", "One user per row on the " + templateSheet + " sheet. Delete the example row. Blank rows are skipped."},
		[]string{"Updates", "When updating, blank cells leave the current value; " + strings.Join(readOnlyColumns, ", ") + " columns (from an export) are ignored."},
	)
	for i, r := range rows {
		if err := book.SetSheetRow(sheet, fmt.Sprintf("A%d", i+1), &r); err != nil {
			return err
		}
	}
	if err := book.SetCellStyle(sheet, "A1", "B1", bold); err != nil {
		return err
	}
	if err := book.SetColWidth(sheet, "A", "A", 22); err != nil {
		return err
	}
	return book.SetColWidth(sheet, "B", "B", 100)
}
