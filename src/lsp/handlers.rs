//! The requests the server answers: one match arm each in [`dispatch`], and its capability in
//! [`capabilities`].

use super::State;
use super::convert::{Lines, path_uri};
use crate::source::{FileId, Span};
use crate::tools::analysis::{self, Analysis, CompletionKind, Symbol, SymbolKind};
use lsp_server::{ErrorCode, Request, Response};
use lsp_types::request::{
    Completion, DocumentSymbolRequest, Formatting, GotoDefinition, HoverRequest,
    PrepareRenameRequest, References, Rename, Request as _, WorkspaceSymbolRequest,
};
use lsp_types::{
    CompletionItem, CompletionItemKind, DocumentSymbol, GotoDefinitionResponse, Hover,
    HoverContents, Location, MarkupContent, MarkupKind, OneOf, Position, Range, ServerCapabilities,
    SymbolInformation, TextDocumentSyncCapability, TextDocumentSyncKind, TextEdit, Uri,
    WorkspaceEdit,
};
use std::collections::HashMap;
use std::path::Path;

/// Most workspace symbols answered.
const MAX_WORKSPACE_SYMBOLS: usize = 500;

/// What the server offers.
pub fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(
            TextDocumentSyncKind::INCREMENTAL,
        )),
        hover_provider: Some(lsp_types::HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Right(lsp_types::RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: Default::default(),
        })),
        completion_provider: Some(lsp_types::CompletionOptions {
            trigger_characters: Some(vec![".".into(), "(".into()]),
            ..Default::default()
        }),
        document_symbol_provider: Some(OneOf::Left(true)),
        workspace_symbol_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        ..Default::default()
    }
}

/// Answers one request.
pub fn dispatch(state: &State, req: Request) -> Response {
    let id = req.id.clone();
    let result = match req.method.as_str() {
        HoverRequest::METHOD => params(req).map(|p| json(hover(state, p))),
        GotoDefinition::METHOD => params(req).map(|p| json(definition(state, p))),
        References::METHOD => params(req).map(|p| json(references(state, p))),
        PrepareRenameRequest::METHOD => params(req).map(|p| json(prepare_rename(state, p))),
        Rename::METHOD => params(req).and_then(|p| rename(state, p).map(json)),
        Completion::METHOD => params(req).map(|p| json(completion(state, p))),
        DocumentSymbolRequest::METHOD => params(req).map(|p| json(document_symbols(state, p))),
        WorkspaceSymbolRequest::METHOD => params(req).map(|p| json(workspace_symbols(state, p))),
        Formatting::METHOD => params(req).map(|p| json(formatting(state, p))),
        other => Err((
            ErrorCode::MethodNotFound,
            format!("lawcode lsp does not answer `{other}`"),
        )),
    };
    match result {
        Ok(v) => Response::new_ok(id, v),
        Err((code, message)) => Response::new_err(id, code as i32, message),
    }
}

type Answer<T> = Result<T, (ErrorCode, String)>;

fn params<P: serde::de::DeserializeOwned>(req: Request) -> Answer<P> {
    serde_json::from_value(req.params).map_err(|e| {
        (
            ErrorCode::InvalidParams,
            format!(
                "the parameters of `{}` are not as the protocol says: {e}",
                req.method
            ),
        )
    })
}

fn json(v: impl serde::Serialize) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or_default()
}

/// The analysis of `uri`, the file's id in it, and the byte offset of `pos` in that text.
fn locate<'s>(state: &'s State, uri: &Uri, pos: Position) -> Option<(&'s Analysis, FileId, usize)> {
    let (a, file) = state.analysis_for(uri)?;
    let text = a.text(file);
    let offset = Lines::new(text).offset(text, pos);
    Some((a, file, offset))
}

fn location(a: &Analysis, span: Span) -> Option<Location> {
    let f = a.sources.get(span.file)?;
    let uri = path_uri(&analysis::normalize(Path::new(&f.name)))?;
    Some(Location::new(uri, range(a, span)))
}

fn range(a: &Analysis, span: Span) -> Range {
    let text = a.text(span.file);
    Lines::new(text).range(text, span.start, span.end)
}

fn hover(state: &State, p: lsp_types::HoverParams) -> Option<Hover> {
    let pp = p.text_document_position_params;
    let (a, file, offset) = locate(state, &pp.text_document.uri, pp.position)?;
    let (span, text) = a.hover(file, offset)?;
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: text,
        }),
        range: Some(range(a, span)),
    })
}

fn definition(state: &State, p: lsp_types::GotoDefinitionParams) -> Option<GotoDefinitionResponse> {
    let pp = p.text_document_position_params;
    let (a, file, offset) = locate(state, &pp.text_document.uri, pp.position)?;
    let locations: Vec<Location> = a
        .definition(file, offset)
        .into_iter()
        .filter_map(|s| location(a, s))
        .collect();
    (!locations.is_empty()).then_some(GotoDefinitionResponse::Array(locations))
}

fn references(state: &State, p: lsp_types::ReferenceParams) -> Option<Vec<Location>> {
    let pp = p.text_document_position;
    let (a, file, offset) = locate(state, &pp.text_document.uri, pp.position)?;
    Some(
        a.references(file, offset, p.context.include_declaration)
            .into_iter()
            .filter_map(|s| location(a, s))
            .collect(),
    )
}

fn prepare_rename(state: &State, p: lsp_types::TextDocumentPositionParams) -> Option<Range> {
    let (a, file, offset) = locate(state, &p.text_document.uri, p.position)?;
    a.prepare_rename(file, offset).map(|s| range(a, s))
}

fn rename(state: &State, p: lsp_types::RenameParams) -> Answer<Option<WorkspaceEdit>> {
    let pp = p.text_document_position;
    let Some((a, file, offset)) = locate(state, &pp.text_document.uri, pp.position) else {
        return Ok(None);
    };
    let Some(spans) = a.rename(file, offset, &p.new_name) else {
        return Err((
            ErrorCode::InvalidParams,
            format!(
                "only a definition or a fact can be renamed, to a name (letters, digits, `_`); `{}` is not one",
                p.new_name
            ),
        ));
    };
    #[allow(
        clippy::mutable_key_type,
        reason = "lsp-types' `WorkspaceEdit::changes` is keyed by `Uri`, whose cell only caches its parse"
    )]
    let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
    for s in spans {
        if let Some(loc) = location(a, s) {
            changes
                .entry(loc.uri)
                .or_default()
                .push(TextEdit::new(loc.range, p.new_name.clone()));
        }
    }
    Ok(Some(WorkspaceEdit::new(changes)))
}

fn completion(state: &State, p: lsp_types::CompletionParams) -> Option<Vec<CompletionItem>> {
    let pp = p.text_document_position;
    let uri = &pp.text_document.uri;
    let (a, _) = state.analysis_for(uri)?;
    let text = state.current_text(uri)?;
    let offset = Lines::new(text).offset(text, pp.position);
    Some(
        a.completions(text, offset)
            .into_iter()
            .map(|c| CompletionItem {
                label: c.label,
                kind: Some(match c.kind {
                    CompletionKind::Fact => CompletionItemKind::VARIABLE,
                    CompletionKind::Field => CompletionItemKind::FIELD,
                    CompletionKind::Definition => CompletionItemKind::FUNCTION,
                    CompletionKind::Table => CompletionItemKind::STRUCT,
                    CompletionKind::EnumMember => CompletionItemKind::ENUM_MEMBER,
                    CompletionKind::Keyword => CompletionItemKind::KEYWORD,
                    CompletionKind::Provision => CompletionItemKind::REFERENCE,
                }),
                detail: c.detail,
                ..Default::default()
            })
            .collect(),
    )
}

fn document_symbols(
    state: &State,
    p: lsp_types::DocumentSymbolParams,
) -> Option<lsp_types::DocumentSymbolResponse> {
    let (a, file) = state.analysis_for(&p.text_document.uri)?;
    let symbols = a
        .outline(file)
        .iter()
        .map(|s| document_symbol(a, s))
        .collect();
    Some(lsp_types::DocumentSymbolResponse::Nested(symbols))
}

fn symbol_kind(k: SymbolKind) -> lsp_types::SymbolKind {
    match k {
        SymbolKind::Provision => lsp_types::SymbolKind::NAMESPACE,
        SymbolKind::Definition => lsp_types::SymbolKind::FUNCTION,
        SymbolKind::Fact => lsp_types::SymbolKind::VARIABLE,
        SymbolKind::Table => lsp_types::SymbolKind::STRUCT,
    }
}

#[allow(
    deprecated,
    reason = "`deprecated` is a required field of the protocol's struct"
)]
fn document_symbol(a: &Analysis, s: &Symbol) -> DocumentSymbol {
    DocumentSymbol {
        name: s.name.clone(),
        detail: s.detail.clone(),
        kind: symbol_kind(s.kind),
        tags: None,
        deprecated: None,
        range: range(a, s.span),
        selection_range: range(a, s.selection),
        children: Some(s.children.iter().map(|c| document_symbol(a, c)).collect()),
    }
}

#[allow(
    deprecated,
    reason = "`deprecated` is a required field of the protocol's struct"
)]
fn workspace_symbols(state: &State, p: lsp_types::WorkspaceSymbolParams) -> Vec<SymbolInformation> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for a in state.analyses() {
        for s in a.workspace_symbols(&p.query, MAX_WORKSPACE_SYMBOLS) {
            let Some(location) = location(a, s.span) else {
                continue;
            };
            if out.len() < MAX_WORKSPACE_SYMBOLS
                && seen.insert((
                    s.name.clone(),
                    location.uri.as_str().to_string(),
                    location.range.start,
                ))
            {
                out.push(SymbolInformation {
                    name: s.name,
                    kind: symbol_kind(s.kind),
                    tags: None,
                    deprecated: None,
                    location,
                    container_name: s.detail,
                });
            }
        }
    }
    out
}

/// `lawcode fmt` on the text as the editor has it: one edit replacing the whole document, or
/// none when it is formatted already or does not parse (its parse diagnostic is already shown).
fn formatting(state: &State, p: lsp_types::DocumentFormattingParams) -> Option<Vec<TextEdit>> {
    let uri = &p.text_document.uri;
    let text = state.current_text(uri)?;
    let name = super::convert::uri_path(uri).display().to_string();
    let formatted = crate::format::format_source(&name, text).ok()?;
    if formatted == text {
        return Some(Vec::new());
    }
    let whole = Lines::new(text).range(text, 0, text.len());
    Some(vec![TextEdit::new(whole, formatted)])
}
