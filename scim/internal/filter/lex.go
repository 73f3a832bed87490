package filter

import (
	"encoding/json"
	"strconv"
)

type tokKind int

const (
	tokEOF tokKind = iota
	tokWord
	tokString
	tokNumber
	tokLParen
	tokRParen
	tokLBrack
	tokRBrack
)

type token struct {
	kind tokKind
	text string // the word, the decoded string, or the number as written
	pos  int
}

func (t token) String() string {
	switch t.kind {
	case tokEOF:
		return "end of filter"
	case tokString:
		return strconv.Quote(t.text)
	}
	return strconv.Quote(t.text)
}

// lex splits s into tokens, appended to toks. Words are runs of the
// characters that make up attribute paths (including schema URNs),
// operators and literals; the parser gives them meaning by position.
func lex(s string, toks []token) ([]token, error) {
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')' || c == '[' || c == ']':
			toks = append(toks, token{kind: punct[c], text: string(c), pos: i})
			i++
		case c == '"':
			end, text, err := lexString(s, i)
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{kind: tokString, text: text, pos: i})
			i = end
		case c == '-' || isDigit(c):
			j := i + 1
			for j < len(s) && (isDigit(s[j]) || s[j] == '.' || s[j] == 'e' || s[j] == 'E' || s[j] == '+' || s[j] == '-') {
				j++
			}
			if _, err := strconv.ParseFloat(s[i:j], 64); err != nil || !json.Valid([]byte(s[i:j])) {
				return nil, &Error{Pos: i, Msg: "malformed number " + strconv.Quote(s[i:j])}
			}
			toks = append(toks, token{kind: tokNumber, text: s[i:j], pos: i})
			i = j
		case isWordChar(c):
			j := i + 1
			for j < len(s) && isWordChar(s[j]) {
				j++
			}
			toks = append(toks, token{kind: tokWord, text: s[i:j], pos: i})
			i = j
		default:
			return nil, &Error{Pos: i, Msg: "unexpected character " + strconv.QuoteRune(rune(c))}
		}
	}
	return append(toks, token{kind: tokEOF, pos: len(s)}), nil
}

var punct = map[byte]tokKind{'(': tokLParen, ')': tokRParen, '[': tokLBrack, ']': tokRBrack}

// lexString reads the JSON string starting at s[start] and returns the
// offset after its closing quote and its decoded value.
func lexString(s string, start int) (int, string, error) {
	for j := start + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '"':
			var v string
			if err := json.Unmarshal([]byte(s[start:j+1]), &v); err != nil {
				return 0, "", &Error{Pos: start, Msg: "malformed string"}
			}
			return j + 1, v, nil
		}
	}
	return 0, "", &Error{Pos: start, Msg: "unterminated string"}
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isWordChar(c byte) bool {
	return isAlpha(c) || isDigit(c) || c == '_' || c == '-' || c == '$' || c == '.' || c == ':'
}
