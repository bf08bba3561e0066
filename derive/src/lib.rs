//! `#[derive(Reset)]` for [poolkit](https://docs.rs/poolkit): a `Reset` impl
//! that resets every field, so that a field added later cannot be forgotten.
//!
//! Use it through poolkit's `derive` feature (`poolkit = { version = "0.1",
//! features = ["derive"] }`), as `poolkit::Reset`; this crate is not meant to
//! be a direct dependency.

use proc_macro::TokenStream;
use proc_macro2::{TokenStream as TokenStream2, TokenTree};
use quote::{quote, quote_spanned, ToTokens};
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{
    parse_macro_input, parse_quote, Data, DeriveInput, Error, Field, Ident, Index, Member, Result,
    Token, Type,
};

/// Derives `poolkit::Reset` for a struct: `reset` calls `Reset::reset` on
/// every field, in declaration order, and `heap_bytes` adds up the
/// `Reset::heap_bytes` of those same fields (skipped and assigned fields
/// count 0), so a pool of the struct reports and budgets its buffers.
///
/// # Field attributes
///
/// - `#[reset(skip)]`: leave the field as it is (an id, a configuration, a
///   handle that must survive reuse). Its type needs no `Reset` impl.
/// - `#[reset(value = EXPR)]`: assign `EXPR` to the field instead (a counter
///   back to `1`, a timestamp to `Instant::now()`). `EXPR` is evaluated at
///   every reset; its type needs no `Reset` impl.
///
/// A field without an attribute is reset through its own `Reset` impl:
/// collections are cleared and keep their allocations; integers reset to
/// `0`, floats to `0.0`, `bool` to `false`, `char` to `'\0'`, `Option<_>`
/// to `None` and `Duration` to `Duration::ZERO`, so a struct of counters,
/// flags and buffers needs no attribute at all. A field whose type has no
/// `Reset` impl is a compile error at that field, whose notes name
/// `#[reset(skip)]` and `#[reset(value = ...)]`. Named, tuple and unit structs are
/// supported, generic ones too: a field whose type names a type parameter
/// adds a `FieldType: Reset` bound to the impl. Enums and unions are refused
/// with a compile error (which variant is "empty" is a choice to make by
/// hand), and so are unknown or conflicting attributes.
///
/// # Examples
///
/// ```
/// use poolkit::{Pool, Reset, Slots};
///
/// #[derive(Default, Reset)]
/// struct Request {
///     user: String,
///     headers: Slots<String>,
///     body: Vec<u8>,
///     #[reset(value = 1)]
///     attempt: u32,
///     #[reset(skip)]
///     worker: usize,
///     bytes_read: u64, // plain fields need no attribute: back to 0
///     keep_alive: bool, // back to false
/// }
///
/// let pool = Pool::new(|| Request { worker: 7, ..Request::default() });
/// let mut request = pool.get();
/// request.user.push_str("alice");
/// request.headers.push_with(|h| h.push_str("accept: */*"));
/// request.body.extend_from_slice(b"{}");
/// request.attempt = 3;
/// request.bytes_read = 2;
/// request.keep_alive = true;
/// drop(request);
///
/// let request = pool.get(); // the same object, reset
/// assert!(request.user.is_empty() && request.headers.is_empty());
/// assert!(request.body.is_empty() && request.body.capacity() >= 2);
/// assert_eq!((request.attempt, request.worker), (1, 7));
/// assert_eq!((request.bytes_read, request.keep_alive), (0, false));
/// // The kept buffers: the user name's, the header String's, the body's.
/// assert!(request.heap_bytes() >= "alice".len() + "accept: */*".len() + 2);
/// ```
#[proc_macro_derive(Reset, attributes(reset))]
pub fn derive_reset(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand(input)
        .unwrap_or_else(Error::into_compile_error)
        .into()
}

/// What `reset` does with one field.
enum Action {
    Reset,
    Skip,
    Assign(TokenStream2),
}

fn expand(mut input: DeriveInput) -> Result<TokenStream2> {
    if let Some(attr) = input.attrs.iter().find(|a| a.path().is_ident("reset")) {
        return Err(Error::new_spanned(
            attr,
            "`#[reset(...)]` goes on fields, not on the type",
        ));
    }
    let fields =
        match &input.data {
            Data::Struct(data) => &data.fields,
            Data::Enum(data) => return Err(Error::new(
                data.enum_token.span,
                "`#[derive(Reset)]` supports structs only, not enums: implement `Reset` by hand \
                 and choose which variant is the empty one",
            )),
            Data::Union(data) => return Err(Error::new(
                data.union_token.span,
                "`#[derive(Reset)]` supports structs only, not unions: implement `Reset` by hand",
            )),
        };

    let type_params: Vec<Ident> = input
        .generics
        .type_params()
        .map(|p| p.ident.clone())
        .collect();
    let mut statements = Vec::new();
    let mut byte_terms = Vec::new();
    let mut bounded_types: Vec<Type> = Vec::new();
    for (position, field) in fields.iter().enumerate() {
        let member = member(field, position);
        match field_action(field)? {
            Action::Skip => {}
            Action::Assign(value) => {
                statements.push(quote_spanned! {value.span()=> self.#member = #value; });
            }
            Action::Reset => {
                let ty = &field.ty;
                statements.push(
                    quote_spanned! {ty.span()=> <#ty as ::poolkit::Reset>::reset(&mut self.#member); },
                );
                byte_terms.push(quote_spanned! {ty.span()=>
                    .saturating_add(<#ty as ::poolkit::Reset>::heap_bytes(&self.#member))
                });
                if names_any(ty.to_token_stream(), &type_params) {
                    bounded_types.push(ty.clone());
                }
            }
        }
    }

    if !bounded_types.is_empty() {
        let where_clause = input.generics.make_where_clause();
        for ty in bounded_types {
            where_clause
                .predicates
                .push(parse_quote!(#ty: ::poolkit::Reset));
        }
    }
    let name = &input.ident;
    let (impl_generics, type_generics, where_clause) = input.generics.split_for_impl();
    Ok(quote! {
        #[automatically_derived]
        impl #impl_generics ::poolkit::Reset for #name #type_generics #where_clause {
            #[inline]
            fn reset(&mut self) {
                #(#statements)*
            }

            #[inline]
            fn heap_bytes(&self) -> usize {
                0usize #(#byte_terms)*
            }
        }
    })
}

/// `self.name` or `self.0`.
fn member(field: &Field, position: usize) -> Member {
    match &field.ident {
        Some(ident) => Member::Named(ident.clone()),
        None => Member::Unnamed(Index {
            index: position as u32,
            span: field.ty.span(),
        }),
    }
}

/// Reads the field's `#[reset(...)]` attributes: at most one action.
fn field_action(field: &Field) -> Result<Action> {
    let mut action: Option<Action> = None;
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("reset")) {
        attr.parse_nested_meta(|meta| {
            let found = if meta.path.is_ident("skip") {
                Action::Skip
            } else if meta.path.is_ident("value") {
                Action::Assign(value_tokens(&meta)?)
            } else {
                return Err(meta.error(format!(
                    "unknown `reset` attribute `{}`: expected `skip` or `value = <expression>`",
                    meta.path.to_token_stream()
                )));
            };
            if action.is_some() {
                return Err(meta.error(
                    "a field takes one `reset` attribute: either `skip` or `value = <expression>`",
                ));
            }
            action = Some(found);
            Ok(())
        })?;
    }
    Ok(action.unwrap_or(Action::Reset))
}

/// The tokens after `value =`, up to the next top-level comma. Taken as
/// tokens, not parsed as an expression here, so that any expression works and
/// the compiler reports its errors at the user's own code.
fn value_tokens(meta: &ParseNestedMeta<'_>) -> Result<TokenStream2> {
    let input = meta.value()?;
    let mut tokens = TokenStream2::new();
    while !input.is_empty() && !input.peek(Token![,]) {
        tokens.extend([input.parse::<TokenTree>()?]);
    }
    if tokens.is_empty() {
        return Err(meta.error("expected an expression after `value =`"));
    }
    Ok(tokens)
}

/// Whether `tokens` name any of `idents` (a field type that uses a type
/// parameter).
fn names_any(tokens: TokenStream2, idents: &[Ident]) -> bool {
    tokens.into_iter().any(|tree| match tree {
        TokenTree::Ident(ident) => idents.contains(&ident),
        TokenTree::Group(group) => names_any(group.stream(), idents),
        _ => false,
    })
}
