package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/loyalhub/loyalhub/core/conversation"
	hubconfig "github.com/loyalhub/loyalhub/pipelines/config"
)

func conversationCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "conversation",
		Short: "Join links, QR codes and the chatbot's messages",
	}
	cmd.AddCommand(conversationLinkCmd(), conversationMessagesCmd())
	return cmd
}

func conversationLinkCmd() *cobra.Command {
	var path, tenant, code, source, qr string
	var size int
	cmd := &cobra.Command{
		Use:   "link -c FILE --tenant ID [--code CODE] [--source qr|ad] [--qr FILE.png]",
		Short: "Print a tenant's wa.me join link, and write its QR code",
		Long: `Prints the https://wa.me link that opens the tenant's WhatsApp chat with the
join message prefilled ("JOIN ABC12345": --code is a member's referral code,
so that whoever joins is referred by them), and with --qr writes the link's
QR code as a PNG of --size pixels. --source qr (the default with --qr) or ad
is appended to the message, so that the consent records where the member
came from.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := hubconfig.Load(path, os.Environ(), registry())
			if err != nil {
				printConfigErrors(cmd.ErrOrStderr(), err)
				return exitError{}
			}
			t, ok := s.Config.Tenants[tenant]
			if !ok {
				return fmt.Errorf("no tenant %q in the config", tenant)
			}
			c := t.Conversation
			if c.PhoneNumber == "" {
				return fmt.Errorf("tenant %s has no conversation.phone_number", tenant)
			}
			if qr != "" && source == "" {
				source = conversation.SourceQR
			}
			text := conversation.JoinText(c.JoinKeyword, strings.ToUpper(code), source)
			link := conversation.JoinLink(c.PhoneNumber, text)
			fmt.Fprintln(cmd.OutOrStdout(), link)
			if qr == "" {
				return nil
			}
			png, err := conversation.QRCode(link, size)
			if err != nil {
				return err
			}
			if err := os.WriteFile(qr, png, 0o644); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s (%d×%d)\n", qr, size, size)
			return nil
		},
	}
	configPathFlag(cmd, &path)
	cmd.Flags().StringVar(&tenant, "tenant", "", "the tenant")
	cmd.Flags().StringVar(&code, "code", "", "a member's referral code")
	cmd.Flags().StringVar(&source, "source", "", "qr or ad, appended to the join message")
	cmd.Flags().StringVar(&qr, "qr", "", "write the link's QR code to this PNG file")
	cmd.Flags().IntVar(&size, "size", 512, "the QR code's size in pixels")
	_ = cmd.MarkFlagRequired("tenant")
	return cmd
}

func conversationMessagesCmd() *cobra.Command {
	var lang string
	cmd := &cobra.Command{
		Use:   "messages [--lang en]",
		Short: "Print the chatbot's message keys, their placeholders and default texts",
		Long: `Prints every message the chatbot sends: its key, the placeholders it takes,
and its default text in each language (or in --lang), to override them in a
tenant's conversation.messages.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			langs := conversation.Languages()
			if lang != "" {
				if !conversation.IsLanguage(lang) {
					return errors.New("--lang must be one of " + strings.Join(langs, ", "))
				}
				langs = []string{lang}
			}
			cat := conversation.DefaultCatalog()
			w := cmd.OutOrStdout()
			for _, key := range conversation.MessageKeys() {
				var ph []string
				for _, p := range conversation.MessagePlaceholders(key) {
					ph = append(ph, "{"+p+"}")
				}
				fmt.Fprintf(w, "%s %s\n", key, strings.Join(ph, " "))
				for _, l := range langs {
					args := map[string]string{}
					for _, p := range conversation.MessagePlaceholders(key) {
						args[p] = "{" + p + "}"
					}
					text := strings.NewReplacer("\u2068", "", "\u2069", "").Replace(cat.Text(l, key, args))
					fmt.Fprintf(w, "  %s: %s\n", l, strings.ReplaceAll(text, "\n", "\n      "))
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&lang, "lang", "", "one language")
	return cmd
}
